"""English stop words: words too common to say anything about a page.

The words are the English list that NLTK ships as data (with the contractions
of I, he, she, it, we and they that it gained in 2025), written out here so
that nothing has to be downloaded. The article added JavaScript words such as
"var" and "function" because it counted the text of <script> elements; this
app leaves scripts out, so they are not needed. Words are compared in lower
case ("The" is a stop word too), and stops is a set: looking a word up in a set
takes the same short time however long the list, a list is searched item by item.
"""

stops = set(
    """
    i i'm i've i'll i'd me my myself we we're we've we'll we'd our ours ourselves you you're
    you've you'll you'd your yours yourself yourselves he he's he'll he'd him his himself she
    she's she'll she'd her hers herself it it's it'll it'd its itself they they're they've
    they'll they'd them their theirs themselves what which who whom this that that'll these
    those am is are was were be been being have has had having do does did doing a an the and
    but if or because as until while of at by for with about against between into through during
    before after above below to from up down in out on off over under again further then once
    here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don don't should should've now d ll m o re
    ve y ain aren aren't couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't haven
    haven't isn isn't ma mightn mightn't mustn mustn't needn needn't shan shan't shouldn
    shouldn't wasn wasn't weren weren't won won't wouldn wouldn't
    """.split()
)
