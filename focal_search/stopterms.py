"""The analysed form of every stop word, per language: what `analysis.is_stop_term`
compares a query term with. Computing it stems some 600 words in every new process
(20-60 ms of each cold query); it is derived data, kept here and checked against
`analysis.computed_stop_terms` by tests/test_analysis.py. Regenerate it with
``python -m focal_search.analysis`` after changing a stop list or an analyzer."""

STOP_TERMS: dict[str, frozenset[str]] = {
    "en": frozenset(
        """
        a about abov after again against all am an and ani are as at be becaus been
        befor below between both but by can did do doe don down dure each few for from
        further had has have he her here herself him himself his how i if in into is it
        itself just me more most my myself no nor not now of off on onc onli or other
        our ourselv out over own s same she should so some such t than that the their
        them themselv then there these they this those through to too under until up
        veri was we were what when where whi which while who whom will with you your
        yourself yourselv
        """.split()
    ),
    "fr": frozenset(
        """
        a ai aie aient ait as au aur aurion auron auront aux avaient avais avait avec
        avez avi avion avon ayant ayez ayon c ce cet d dan de du e elle en est et
        etaient etais etait etant ete eti etion eu eue eum eurent eus euss eussent
        eussion eut eux fum furent fus fuss fussent fussion fut il j je l la le leur lui
        m ma mais me mem moi mon n ne nos notr nous on ont ou par pas pour qu que qui s
        sa se ser serion seron seront soi soient sois soit somm son sont soyon suis sur
        t ta te toi ton tu un une vos votr vous y
        """.split()
    ),
    "es": frozenset(
        """
        a al algo algun ante antes com con contr cual cuand de del desd dond durant e el
        ella ellas ellos en entre era erais eram eran eras eres es esa esas ese eso esos
        esta estab estabais estad estais estam estan estand estar estareis estari
        estariais estas este esteis estem esten estes esto estos estoy estuv estuvier
        estuvies fue fuer fuerais fueron fues fueseis fui fuim fuist fuisteis ha hab
        habeis habi habiais habr habreis habri habriais han has hast hay hayais he hem
        hub hubier hubies la las le les lo los mas me mi mia mias mio mios mis much muy
        nad ni no nos nosotr nuestr o os otra otras otro otros par per poc por porqu que
        qui quien se sea seais seam sean seas sent ser sereis seri seriais si sient sin
        sint sobr sois som son soy su sus suy tambi tant te ten tendr tendreis tendri
        tendriais teneis teng tengais teni teniais ti tien tod tu tus tuv tuvier tuvies
        tuy un una unas uno unos vosostr vuestr y ya yo
        """.split()
    ),
}
