"""The pure core: parse, normalize, serialize. No I/O here."""
