"""The API reference: an OpenAPI 3.1 document generated from the served methods' lexicons.

:func:`openapi_document` builds it from a started or unstarted :class:`~exprsn_pds.pds.Pds`;
the ``server`` plugin serves it at ``/openapi.json`` (``docs/api.md``).
"""

from exprsn_pds.openapi.document import openapi_document

__all__ = ["openapi_document"]
