"""Validating data against compiled lexicons: one behaviour per test."""

from __future__ import annotations

from typing import Any

import pytest

from exprsn_pds.lexicon import (
    LexiconError,
    LexiconNotFound,
    LexiconRegistry,
    LexiconValidationError,
    lexrpc_lexicon_folder,
)

CID = "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq"
DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
BLOB = {"$type": "blob", "ref": {"$link": CID}, "mimeType": "image/png", "size": 500}
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one grapheme, 18 UTF-8 bytes

VALUES = {
    "lexicon": 1,
    "id": "test.lex.values",
    "defs": {
        "flag": {"type": "boolean"},
        "yes": {"type": "boolean", "const": True},
        "count": {"type": "integer", "minimum": 1, "maximum": 10},
        "small": {"type": "integer", "enum": [1, 2, 3]},
        "answer": {"type": "integer", "const": 42},
        "short": {"type": "string", "maxLength": 5},
        "long": {"type": "string", "minLength": 3},
        "tiny": {"type": "string", "maxGraphemes": 2},
        "wordy": {"type": "string", "minGraphemes": 2},
        "color": {"type": "string", "knownValues": ["red", "test.lex.values#blue"]},
        "size": {"type": "string", "enum": ["s", "m"]},
        "fixed": {"type": "string", "const": "x"},
        "when": {"type": "string", "format": "datetime"},
        "lang": {"type": "string", "format": "language"},
        "did": {"type": "string", "format": "did"},
        "data": {"type": "bytes", "maxLength": 4},
        "link": {"type": "cid-link"},
        "image": {"type": "blob", "accept": ["image/*"], "maxSize": 1000},
        "anyFile": {"type": "blob", "accept": ["*/*"]},
        "numbers": {"type": "array", "items": {"type": "integer"}, "minLength": 1, "maxLength": 3},
        "blue": {"type": "token"},
        "node": {
            "type": "object",
            "required": ["name"],
            "nullable": ["note"],
            "properties": {
                "name": {"type": "string"},
                "note": {"type": "string"},
                "child": {"type": "ref", "ref": "#node"},
            },
        },
        "holder": {
            "type": "object",
            "properties": {
                "open": {"type": "union", "refs": ["#a", "test.lex.other"]},
                "closed": {"type": "union", "refs": ["#a"], "closed": True},
                "extra": {"type": "unknown"},
            },
        },
        "a": {"type": "object", "properties": {"x": {"type": "integer"}}},
    },
}
OTHER = {
    "lexicon": 1,
    "id": "test.lex.other",
    "defs": {"main": {"type": "object", "properties": {"y": {"type": "string"}}}},
}
RECORD = {
    "lexicon": 1,
    "id": "test.lex.note",
    "defs": {
        "main": {
            "type": "record",
            "key": "tid",
            "record": {
                "type": "object",
                "required": ["text"],
                "properties": {
                    "text": {"type": "string"},
                    "formats": {
                        "type": "object",
                        "properties": {"did": {"type": "string", "format": "did"}},
                    },
                },
            },
        }
    },
}
QUERY = {
    "lexicon": 1,
    "id": "test.lex.list",
    "defs": {
        "main": {
            "type": "query",
            "parameters": {
                "type": "params",
                "required": ["actor"],
                "properties": {
                    "actor": {"type": "string", "format": "at-identifier"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
                    "reverse": {"type": "boolean"},
                    "tags": {"type": "array", "items": {"type": "string"}, "maxLength": 3},
                    "ids": {"type": "array", "items": {"type": "integer"}},
                },
            },
            "output": {
                "encoding": "application/json",
                "schema": {
                    "type": "object",
                    "required": ["items"],
                    "properties": {"items": {"type": "array", "items": {"type": "integer"}}},
                },
            },
        }
    },
}


@pytest.fixture(scope="module")
def registry() -> LexiconRegistry:
    registry = LexiconRegistry()
    registry.add_folder(lexrpc_lexicon_folder(), namespaces=["com.atproto", "app.bsky"])
    for document in (VALUES, OTHER, RECORD, QUERY):
        registry.add_document(document, "test_lexicon_validation.py")
    registry.freeze()
    return registry


def ok(registry: LexiconRegistry, name: str, value: Any) -> None:
    registry.validate_value(f"test.lex.values#{name}", value)


def error(registry: LexiconRegistry, name: str, value: Any) -> str:
    """The message of the validation error that ``value`` raises against def ``name``."""
    with pytest.raises(LexiconValidationError) as raised:
        registry.validate_value(f"test.lex.values#{name}", value)
    return str(raised.value)


# -- boolean, integer -----------------------------------------------------------------


def test_boolean_rejects_the_string_true(registry: LexiconRegistry) -> None:
    assert error(registry, "flag", "true") == "Value must be a boolean"


def test_boolean_const_rejects_the_other_value(registry: LexiconRegistry) -> None:
    ok(registry, "yes", True)
    assert error(registry, "yes", False) == "Value must be true"


def test_integer_rejects_a_boolean(registry: LexiconRegistry) -> None:
    assert error(registry, "count", True) == "Value must be an integer"


def test_integer_rejects_a_fractional_number(registry: LexiconRegistry) -> None:
    assert error(registry, "count", 1.5) == "Value must be an integer"


def test_integer_accepts_an_integral_json_number(registry: LexiconRegistry) -> None:
    ok(registry, "count", 2.0)


def test_integer_range_is_inclusive(registry: LexiconRegistry) -> None:
    ok(registry, "count", 1)
    ok(registry, "count", 10)
    assert error(registry, "count", 0) == "Value must be at least 1"
    assert error(registry, "count", 11) == "Value must be at most 10"


def test_integer_enum_rejects_other_numbers(registry: LexiconRegistry) -> None:
    ok(registry, "small", 3)
    assert error(registry, "small", 4) == "Value must be one of [1, 2, 3]"


def test_integer_const_rejects_other_numbers(registry: LexiconRegistry) -> None:
    assert error(registry, "answer", 41) == "Value must be 42"


# -- string ---------------------------------------------------------------------------


def test_string_rejects_a_number(registry: LexiconRegistry) -> None:
    assert error(registry, "short", 5) == "Value must be a string"


def test_max_length_counts_utf8_bytes(registry: LexiconRegistry) -> None:
    ok(registry, "short", "abcde")
    assert "longer than 5 bytes" in error(registry, "short", "ééé")  # 3 chars, 6 bytes


def test_min_length_counts_utf8_bytes(registry: LexiconRegistry) -> None:
    ok(registry, "long", "éé")  # 2 chars, 4 bytes
    assert "shorter than 3 bytes" in error(registry, "long", "é")


def test_max_graphemes_counts_clusters_not_code_points(registry: LexiconRegistry) -> None:
    ok(registry, "tiny", FAMILY + FAMILY)
    assert "longer than 2 graphemes" in error(registry, "tiny", "abc")


def test_min_graphemes_counts_clusters_not_code_points(registry: LexiconRegistry) -> None:
    ok(registry, "wordy", "ab")
    assert "shorter than 2 graphemes" in error(registry, "wordy", FAMILY)


def test_known_values_are_advisory(registry: LexiconRegistry) -> None:
    ok(registry, "color", "test.lex.values#blue")
    ok(registry, "color", "mauve")


def test_string_enum_rejects_other_values(registry: LexiconRegistry) -> None:
    assert error(registry, "size", "xl") == 'Value must be one of ["m", "s"]'


def test_string_const_rejects_other_values(registry: LexiconRegistry) -> None:
    assert error(registry, "fixed", "y") == 'Value must be "x"'


def test_datetime_format_rejects_an_impossible_date(registry: LexiconRegistry) -> None:
    ok(registry, "when", "1985-04-12T23:20:50.123Z")
    assert error(registry, "when", "1985-02-30T23:20:50.123Z") == "Value must be a valid datetime"


def test_language_format_rejects_a_repeated_variant(registry: LexiconRegistry) -> None:
    ok(registry, "lang", "pt-BR")
    assert error(registry, "lang", "de-DE-1901-1901") == "Value must be a valid language"


def test_did_format_accepts_any_method(registry: LexiconRegistry) -> None:
    ok(registry, "did", "did:example:123")
    assert error(registry, "did", "DID:example:123") == "Value must be a valid did"


# -- bytes, cid-link, blob ------------------------------------------------------------


def test_bytes_accepts_the_json_form(registry: LexiconRegistry) -> None:
    ok(registry, "data", {"$bytes": "AQID"})


def test_bytes_accepts_unpadded_base64(registry: LexiconRegistry) -> None:
    ok(registry, "data", {"$bytes": "AQI"})


def test_bytes_accepts_python_bytes(registry: LexiconRegistry) -> None:
    ok(registry, "data", b"\x01\x02")


def test_bytes_rejects_malformed_base64(registry: LexiconRegistry) -> None:
    assert "must be bytes" in error(registry, "data", {"$bytes": "A"})


def test_bytes_length_counts_decoded_bytes(registry: LexiconRegistry) -> None:
    assert "longer than 4 bytes" in error(registry, "data", {"$bytes": "AQIDBAU"})  # 5 bytes


def test_cid_link_needs_the_link_object(registry: LexiconRegistry) -> None:
    ok(registry, "link", {"$link": CID})
    assert "CID link" in error(registry, "link", CID)


def test_cid_link_rejects_a_malformed_cid(registry: LexiconRegistry) -> None:
    assert "CID link" in error(registry, "link", {"$link": "not a cid"})


def test_blob_accepts_a_matching_mime_type(registry: LexiconRegistry) -> None:
    ok(registry, "image", BLOB)


def test_blob_rejects_a_mime_type_outside_accept(registry: LexiconRegistry) -> None:
    blob = {**BLOB, "mimeType": "video/mp4"}
    assert "'video/mp4', which is not accepted" in error(registry, "image", blob)


def test_blob_accept_any_type(registry: LexiconRegistry) -> None:
    ok(registry, "anyFile", {**BLOB, "mimeType": "application/zip"})


def test_blob_rejects_a_size_over_max_size(registry: LexiconRegistry) -> None:
    assert "larger than 1000 bytes" in error(registry, "image", {**BLOB, "size": 1001})


def test_blob_accepts_the_legacy_form(registry: LexiconRegistry) -> None:
    ok(registry, "image", {"cid": CID, "mimeType": "image/jpeg"})


def test_blob_needs_the_blob_type_marker(registry: LexiconRegistry) -> None:
    blob = {key: value for key, value in BLOB.items() if key != "$type"}
    assert "must be a blob" in error(registry, "image", {**blob, "type": "blob"})


def test_blob_needs_a_size(registry: LexiconRegistry) -> None:
    blob = {key: value for key, value in BLOB.items() if key != "size"}
    assert "must be a blob" in error(registry, "image", blob)


# -- array, object, ref ---------------------------------------------------------------


def test_array_path_names_the_bad_index(registry: LexiconRegistry) -> None:
    assert error(registry, "numbers", [1, "two"]) == "Value/1 must be an integer"


def test_array_length_bounds(registry: LexiconRegistry) -> None:
    assert "fewer than 1 elements" in error(registry, "numbers", [])
    assert "more than 3 elements" in error(registry, "numbers", [1, 2, 3, 4])


def test_array_rejects_an_object(registry: LexiconRegistry) -> None:
    assert error(registry, "numbers", {"0": 1}) == "Value must be an array"


def test_object_requires_required_properties(registry: LexiconRegistry) -> None:
    assert error(registry, "node", {}) == 'Value must have the property "name"'


def test_object_allows_null_only_where_nullable(registry: LexiconRegistry) -> None:
    ok(registry, "node", {"name": "n", "note": None})
    assert error(registry, "node", {"name": None}) == "Value/name must not be null"


def test_object_allows_undeclared_properties(registry: LexiconRegistry) -> None:
    ok(registry, "node", {"name": "n", "futureField": [1.5, {"anything": True}]})


def test_recursive_ref_is_followed_to_any_depth(registry: LexiconRegistry) -> None:
    deep = {"name": "a", "child": {"name": "b", "child": {"name": "c", "child": {"name": 3}}}}
    assert error(registry, "node", deep) == "Value/child/child/child/name must be a string"


# -- union, unknown, token ------------------------------------------------------------


def test_union_needs_a_type(registry: LexiconRegistry) -> None:
    message = error(registry, "holder", {"open": {"x": 1}})
    assert message == 'Value/open must have a "$type" string'


def test_union_validates_the_chosen_variant(registry: LexiconRegistry) -> None:
    value = {"open": {"$type": "test.lex.values#a", "x": "one"}}
    assert error(registry, "holder", value) == "Value/open/x must be an integer"


def test_union_type_of_a_main_def_may_carry_the_main_suffix(registry: LexiconRegistry) -> None:
    ok(registry, "holder", {"open": {"$type": "test.lex.other", "y": "z"}})
    ok(registry, "holder", {"open": {"$type": "test.lex.other#main", "y": "z"}})


def test_open_union_lets_an_unlisted_type_through(registry: LexiconRegistry) -> None:
    ok(registry, "holder", {"open": {"$type": "com.example.future#thing", "q": 1.5}})


def test_open_union_rejects_a_malformed_type(registry: LexiconRegistry) -> None:
    assert "invalid $type" in error(registry, "holder", {"open": {"$type": "not a type"}})


def test_closed_union_rejects_an_unlisted_type(registry: LexiconRegistry) -> None:
    value = {"closed": {"$type": "test.lex.other", "y": "z"}}
    assert "which is not one of" in error(registry, "holder", value)


def test_unknown_accepts_any_object(registry: LexiconRegistry) -> None:
    ok(registry, "holder", {"extra": {"$type": "com.example.whatever", "n": [1, 2]}})


@pytest.mark.parametrize(
    "value",
    [False, "text", [1], {"$bytes": "AQID"}, {"$link": CID}, BLOB],
    ids=["boolean", "string", "array", "bytes", "link", "blob"],
)
def test_unknown_rejects_non_objects_and_special_objects(
    registry: LexiconRegistry, value: Any
) -> None:
    assert error(registry, "holder", {"extra": value}).startswith("Value/extra must be an object")


def test_token_is_not_a_value_type(registry: LexiconRegistry) -> None:
    with pytest.raises(LexiconError, match="token"):
        registry.validate_value("test.lex.values#blue", "test.lex.values#blue")


def test_validating_an_unknown_def_is_not_found(registry: LexiconRegistry) -> None:
    with pytest.raises(LexiconNotFound):
        registry.validate_value("test.lex.values#nothing", {})


# -- records --------------------------------------------------------------------------


def test_error_message_names_the_path_from_the_record(registry: LexiconRegistry) -> None:
    record = {"$type": "test.lex.note", "text": "hi", "formats": {"did": "nope"}}
    with pytest.raises(LexiconValidationError) as raised:
        registry.validate_record("test.lex.note", record)
    assert str(raised.value) == "Record/formats/did must be a valid did"
    assert raised.value.path == "Record/formats/did"
    assert raised.value.reason == "must be a valid did"


def test_record_type_must_be_its_collection(registry: LexiconRegistry) -> None:
    with pytest.raises(LexiconValidationError, match=r"Record/\$type must be 'test.lex.note'"):
        registry.validate_record("test.lex.note", {"$type": "app.bsky.feed.post", "text": ""})


def test_record_must_be_an_object(registry: LexiconRegistry) -> None:
    with pytest.raises(LexiconValidationError, match="Record must be an object"):
        registry.validate_record("test.lex.note", ["text"])


def test_record_of_an_unknown_collection_is_not_found(registry: LexiconRegistry) -> None:
    with pytest.raises(LexiconNotFound):
        registry.validate_record("com.example.nothing", {"$type": "com.example.nothing"})


def post(**fields: Any) -> dict[str, Any]:
    """An app.bsky.feed.post record with ``fields`` added."""
    return {
        "$type": "app.bsky.feed.post",
        "text": "hello",
        "createdAt": "2024-01-01T00:00:00Z",
    } | fields


def test_real_post_with_facets_embed_and_reply_validates(registry: LexiconRegistry) -> None:
    strong_ref = {"uri": f"at://{DID}/app.bsky.feed.post/3k2aqc7dnvq2a", "cid": CID}
    record = post(
        text="hi @alice.test 🎉",
        langs=["en", "pt-BR"],
        facets=[
            {
                "index": {"byteStart": 3, "byteEnd": 14},
                "features": [{"$type": "app.bsky.richtext.facet#mention", "did": DID}],
            }
        ],
        embed={"$type": "app.bsky.embed.images", "images": [{"image": BLOB, "alt": "a cat"}]},
        reply={"root": strong_ref, "parent": strong_ref},
        labels={"$type": "com.atproto.label.defs#selfLabels", "values": [{"val": "nudity"}]},
    )
    registry.validate_record("app.bsky.feed.post", record)


def test_post_over_300_graphemes_fails(registry: LexiconRegistry) -> None:
    with pytest.raises(LexiconValidationError, match="Record/text must not be longer than"):
        registry.validate_record("app.bsky.feed.post", post(text="a" * 301))


def test_post_without_created_at_fails(registry: LexiconRegistry) -> None:
    record = post()
    del record["createdAt"]
    with pytest.raises(LexiconValidationError, match='must have the property "createdAt"'):
        registry.validate_record("app.bsky.feed.post", record)


def test_post_with_a_bad_mention_did_fails(registry: LexiconRegistry) -> None:
    facet = {
        "index": {"byteStart": 0, "byteEnd": 1},
        "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "alice"}],
    }
    with pytest.raises(LexiconValidationError) as raised:
        registry.validate_record("app.bsky.feed.post", post(facets=[facet]))
    assert raised.value.path == "Record/facets/0/features/0/did"


def test_post_with_an_image_of_the_wrong_type_fails(registry: LexiconRegistry) -> None:
    image = {"image": {**BLOB, "mimeType": "text/plain"}, "alt": ""}
    embed = {"$type": "app.bsky.embed.images", "images": [image]}
    with pytest.raises(LexiconValidationError, match="Record/embed/images/0/image has MIME"):
        registry.validate_record("app.bsky.feed.post", post(embed=embed))


def test_like_with_a_strong_ref_validates(registry: LexiconRegistry) -> None:
    like = {
        "$type": "app.bsky.feed.like",
        "subject": {"uri": f"at://{DID}/app.bsky.feed.post/3k2aqc7dnvq2a", "cid": CID},
        "createdAt": "2024-01-01T00:00:00.000Z",
    }
    registry.validate_record("app.bsky.feed.like", like)


# -- params ---------------------------------------------------------------------------


def params(registry: LexiconRegistry, **raw: str | list[str]) -> dict[str, Any]:
    coerced: dict[str, Any] = registry.validate_params(
        "test.lex.list", {"actor": "alice.test", **raw}
    )
    return coerced


def params_error(registry: LexiconRegistry, **raw: str | list[str]) -> str:
    with pytest.raises(LexiconValidationError) as raised:
        params(registry, **raw)
    return str(raised.value)


def test_integer_param_is_parsed(registry: LexiconRegistry) -> None:
    assert params(registry, limit="30")["limit"] == 30


def test_non_numeric_integer_param_is_named(registry: LexiconRegistry) -> None:
    assert params_error(registry, limit="abc") == "Params/limit must be an integer"


def test_integer_param_range_is_checked(registry: LexiconRegistry) -> None:
    assert params_error(registry, limit="0") == "Params/limit must be at least 1"


def test_param_default_is_applied(registry: LexiconRegistry) -> None:
    assert params(registry) == {"actor": "alice.test", "limit": 50}


def test_boolean_param_is_parsed(registry: LexiconRegistry) -> None:
    assert params(registry, reverse="true")["reverse"] is True
    assert params(registry, reverse="false")["reverse"] is False


def test_boolean_param_rejects_other_text(registry: LexiconRegistry) -> None:
    assert params_error(registry, reverse="yes").startswith("Params/reverse must be a boolean")


def test_repeated_param_becomes_an_array(registry: LexiconRegistry) -> None:
    assert params(registry, tags=["a", "b"])["tags"] == ["a", "b"]


def test_single_array_param_becomes_a_one_item_array(registry: LexiconRegistry) -> None:
    assert params(registry, tags="a")["tags"] == ["a"]


def test_array_param_items_are_parsed_and_named(registry: LexiconRegistry) -> None:
    assert params(registry, ids=["1", "2"])["ids"] == [1, 2]
    assert params_error(registry, ids=["1", "x"]) == "Params/ids/1 must be an integer"


def test_array_param_length_is_checked(registry: LexiconRegistry) -> None:
    assert "more than 3 elements" in params_error(registry, tags=["a", "b", "c", "d"])


def test_scalar_param_given_twice_is_rejected(registry: LexiconRegistry) -> None:
    assert params_error(registry, limit=["1", "2"]) == "Params/limit must be given once"


def test_missing_required_param_is_rejected(registry: LexiconRegistry) -> None:
    with pytest.raises(LexiconValidationError, match='Params must have the parameter "actor"'):
        registry.validate_params("test.lex.list", {})


def test_string_param_format_is_checked(registry: LexiconRegistry) -> None:
    assert (
        params_error(registry, actor="not a handle") == "Params/actor must be a valid at-identifier"
    )


def test_unknown_params_are_ignored(registry: LexiconRegistry) -> None:
    assert "surprise" not in params(registry, surprise="1")


def test_official_query_params_are_coerced(registry: LexiconRegistry) -> None:
    assert registry.validate_params("app.bsky.feed.getTimeline", {"limit": "30"}) == {"limit": 30}


def test_method_without_params_gives_no_params(registry: LexiconRegistry) -> None:
    assert registry.validate_params("com.atproto.server.describeServer", {"x": "1"}) == {}


# -- input and output -----------------------------------------------------------------


def test_input_is_validated(registry: LexiconRegistry) -> None:
    body = {"repo": DID, "record": {"$type": "app.bsky.feed.post"}}
    with pytest.raises(LexiconValidationError, match='Input must have the property "collection"'):
        registry.validate_input("com.atproto.repo.createRecord", body)


def test_valid_input_passes(registry: LexiconRegistry) -> None:
    body = {"repo": DID, "collection": "app.bsky.feed.post", "record": {"text": "x"}}
    registry.validate_input("com.atproto.repo.createRecord", body)


def test_input_without_a_schema_is_not_checked(registry: LexiconRegistry) -> None:
    registry.validate_input("com.atproto.repo.uploadBlob", b"\x89PNG")


def test_output_is_validated(registry: LexiconRegistry) -> None:
    registry.validate_output("test.lex.list", {"items": [1, 2]})
    with pytest.raises(LexiconValidationError, match="Output/items/0 must be an integer"):
        registry.validate_output("test.lex.list", {"items": ["1"]})
