"""Built-in plugins of exprsn-pds; each registers through the public hooks."""

if __name__ != "exprsn_pds.plugins":  # pragma: no cover - guard against a second import name
    raise ImportError("import the built-in plugins as exprsn_pds.plugins")
