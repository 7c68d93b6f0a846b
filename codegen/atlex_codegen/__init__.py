"""atlex code generator: Lexicon JSON -> msgspec types and typed call stubs."""

__version__ = "0.1.0"
