"""Applications over the library, run by ``tools/``: the quickstart (:mod:`.quickstart`), the speed benchmark
(:mod:`.benchmark`) and the browser demo (:mod:`.webui`). ``import mmrec`` imports none of them."""
