"""The atproto data model: CIDs, DAG-CBOR, the JSON form, and CAR files.

- :class:`Cid`: a CIDv1 value type (``Cid.parse``, ``str(cid)``, ``Cid.for_dag_cbor``).
- :func:`encode` / :func:`decode`: data-model values to DAG-CBOR blocks and back; links
  are :class:`Cid`, byte strings are ``bytes``, floats are refused.
- :func:`json_to_ipld` / :func:`ipld_to_json`: the atproto JSON form (``$link``,
  ``$bytes``, blobs) to data-model values and back; :func:`json_to_record` also requires
  an object, as records are.
- :func:`parse_json`: JSON text from outside (request bodies, other hosts' documents) to
  values, refusing non-UTF-8 text, lone surrogates and nesting deeper than a bound;
  :func:`check_depth` holds any value to such a bound (:func:`decode` takes one too).
- :func:`write_car`, :func:`iter_car` (and its pieces :func:`car_header`,
  :func:`car_section`), :func:`read_car`: CAR v1 files, every block checked against its
  CID on the way in.

Every problem raises :class:`DataModelError` (a ``ValueError``); CAR problems raise its
subclass :class:`CarError`.
"""

from exprsn_pds.datamodel.car import car_header, car_section, iter_car, read_car, write_car
from exprsn_pds.datamodel.cbor import decode, encode
from exprsn_pds.datamodel.cid import DAG_CBOR_CODEC, RAW_CODEC, SHA2_256, Cid
from exprsn_pds.datamodel.depth import check_depth
from exprsn_pds.datamodel.errors import CarError, DataModelError
from exprsn_pds.datamodel.jsonform import ipld_to_json, json_to_ipld, json_to_record
from exprsn_pds.datamodel.jsontext import parse_json

__all__ = [
    "DAG_CBOR_CODEC",
    "RAW_CODEC",
    "SHA2_256",
    "CarError",
    "Cid",
    "DataModelError",
    "car_header",
    "car_section",
    "check_depth",
    "decode",
    "encode",
    "ipld_to_json",
    "iter_car",
    "json_to_ipld",
    "json_to_record",
    "parse_json",
    "read_car",
    "write_car",
]
