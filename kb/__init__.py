"""kb: a provenance-first knowledge base of diplomatic news.

Data flows one way: ``seeds/ + curation/*.yaml -> load -> validate -> build the graph -> serve / export / diff``.
"""

__version__ = "0.1.0"
