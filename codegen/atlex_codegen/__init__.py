"""atlex code generator: Lexicon JSON -> msgspec types and typed call stubs."""
