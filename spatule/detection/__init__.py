"""Searching photos for tags: the search settings, the runtimes, tiles cut and merged, a season
listed and cut into jobs, the cache, the model card."""
