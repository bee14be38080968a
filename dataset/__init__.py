"""tinsach's dataset layer: raw inputs found and read, cleaned in batches, committed to the Parquet dataset.

    inputs   files, folders and WARC records as raw references, read back one page at a time
    runner   the one loop over pages: clean, judge, stage a batch as Parquet
    store    the schemas, the rows, atomic files, reading the dataset back
    corpus   the dedup state beside the data (paragraph votes, LSH bands) and the decisions it feeds
    commit   a run's staged batches into the dataset, one commit at a time
    dedup    the pure functions of corpus dedup (paragraph hashes, MinHash, LSH)

No Prefect here: the flows call these; so do the benchmarks and tests.
"""
