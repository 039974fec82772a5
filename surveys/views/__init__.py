"""The surveys' pages: `pages` (list, results, response browser), `upload` and `engagement`."""
