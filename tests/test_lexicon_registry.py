"""Loading, freezing and looking up lexicons in the registry."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from exprsn_pds.lexicon import (
    LexiconError,
    LexiconNotFound,
    LexiconRegistry,
    lexrpc_lexicon_folder,
)

REFERENCE_FOLDER = Path(os.environ["PDS_SHARED_DIR"]) / "lexicons-reference"
OFFICIAL_NAMESPACES = ["com.atproto", "app.bsky"]


def lexicon(lexicon_id: str, **defs: Any) -> dict[str, Any]:
    """A lexicon document with the given defs."""
    return {"lexicon": 1, "id": lexicon_id, "defs": defs}


def rejected(document: dict[str, Any]) -> str:
    """The message of the LexiconError that adding and freezing ``document`` raises."""
    registry = LexiconRegistry()
    with pytest.raises(LexiconError) as raised:
        registry.add_document(document)
        registry.freeze()
    return str(raised.value)


@pytest.fixture(scope="module")
def official() -> LexiconRegistry:
    registry = LexiconRegistry()
    registry.add_folder(lexrpc_lexicon_folder(), namespaces=OFFICIAL_NAMESPACES)
    registry.freeze()
    return registry


# -- the official lexicons ------------------------------------------------------------


def test_lexrpc_folder_holds_the_official_lexicons() -> None:
    assert (lexrpc_lexicon_folder() / "com" / "atproto" / "repo" / "createRecord.json").is_file()


def test_official_lexicons_are_exactly_the_reference_files(official: LexiconRegistry) -> None:
    reference = sorted(
        ".".join(path.relative_to(REFERENCE_FOLDER).with_suffix("").parts)
        for path in REFERENCE_FOLDER.rglob("*.json")
    )
    assert len(reference) == 259
    assert official.ids() == reference


def test_namespace_filter_keeps_only_ids_under_it() -> None:
    registry = LexiconRegistry()
    registry.add_folder(lexrpc_lexicon_folder(), namespaces=["com.atproto"])
    assert registry.ids()
    assert all(nsid.startswith("com.atproto.") for nsid in registry.ids())


def test_namespace_filter_matches_whole_segments(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(
        json.dumps(lexicon("com.atprotox.thing", main={"type": "token"}))
    )
    (tmp_path / "b.json").write_text(
        json.dumps(lexicon("com.atproto.thing", main={"type": "token"}))
    )
    registry = LexiconRegistry()
    registry.add_folder(tmp_path, namespaces=["com.atproto"])
    assert registry.ids() == ["com.atproto.thing"]


# -- loading --------------------------------------------------------------------------


def test_duplicate_id_is_refused_naming_both_sources() -> None:
    registry = LexiconRegistry()
    registry.add_document(lexicon("com.example.thing", main={"type": "token"}), "first.json")
    with pytest.raises(LexiconError, match=r"com\.example\.thing.*first\.json.*second\.json"):
        registry.add_document(lexicon("com.example.thing", main={"type": "token"}), "second.json")


def test_folder_source_label_appears_in_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(json.dumps(lexicon("com.example.bad", x={"type": "ref"})))
    registry = LexiconRegistry()
    with pytest.raises(LexiconError, match=r"plugin demo \(bad.json\): com.example.bad#x"):
        registry.add_folder(tmp_path, source="plugin demo")


def test_unreadable_json_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(LexiconError, match=r"broken\.json"):
        LexiconRegistry().add_folder(tmp_path)


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="does not exist"):
        LexiconRegistry().add_folder(tmp_path / "nowhere")


def test_folder_is_loaded_recursively_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / "one.json").write_text(
        json.dumps(lexicon("com.example.one", main={"type": "token"}))
    )
    (tmp_path / "a.json").write_text(json.dumps(lexicon("com.example.one", main={"type": "token"})))
    with pytest.raises(LexiconError, match=r"a\.json and .*one\.json"):
        LexiconRegistry().add_folder(tmp_path)


def test_adding_after_freeze_is_refused() -> None:
    registry = LexiconRegistry()
    registry.freeze()
    with pytest.raises(LexiconError, match="frozen"):
        registry.add_document(lexicon("com.example.late", main={"type": "token"}))


def test_validating_before_freeze_is_refused() -> None:
    registry = LexiconRegistry()
    registry.add_document(lexicon("com.example.flag", main={"type": "boolean"}))
    with pytest.raises(LexiconError, match="frozen"):
        registry.validate_value("com.example.flag", True)


def test_added_document_is_copied() -> None:
    document = lexicon("com.example.flag", main={"type": "boolean"})
    registry = LexiconRegistry()
    registry.add_document(document)
    document["defs"]["main"]["type"] = "integer"
    assert registry.get_def("com.example.flag")["type"] == "boolean"


# -- references -----------------------------------------------------------------------


def test_unresolved_ref_stops_freeze_naming_lexicon_and_def() -> None:
    message = rejected(
        lexicon(
            "com.example.broken",
            view={
                "type": "object",
                "properties": {"x": {"type": "ref", "ref": "com.example.gone"}},
            },
        )
    )
    assert "com.example.broken#view" in message
    assert "com.example.gone" in message


def test_unresolved_union_member_stops_freeze() -> None:
    union = {"type": "union", "refs": ["#missing"]}
    message = rejected(lexicon("com.example.broken", main={"type": "array", "items": union}))
    assert "com.example.broken#missing" in message


def test_ref_to_a_token_is_refused() -> None:
    document = lexicon(
        "com.example.tok",
        flag={"type": "token"},
        main={"type": "object", "properties": {"f": {"type": "ref", "ref": "#flag"}}},
    )
    assert "token" in rejected(document)


def test_union_of_a_non_object_is_refused() -> None:
    document = lexicon(
        "com.example.u",
        text={"type": "string"},
        main={"type": "object", "properties": {"u": {"type": "union", "refs": ["#text"]}}},
    )
    assert "string" in rejected(document)


def test_local_refs_resolve_within_their_own_lexicon() -> None:
    registry = LexiconRegistry()
    registry.add_document(
        lexicon(
            "com.example.local",
            main={"type": "object", "properties": {"n": {"type": "ref", "ref": "#num"}}},
            num={"type": "integer"},
        )
    )
    registry.freeze()
    registry.validate_value("com.example.local", {"n": 3})


# -- document structure ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "complaint"),
    [
        ({"type": "string", "maxLenght": 3}, "unexpected field 'maxLenght'"),
        ({"type": "string", "format": "colour"}, "unknown string format"),
        ({"type": "string", "minLength": 5, "maxLength": 2}, "greater than"),
        ({"type": "string", "const": "a", "default": "b"}, "mutually exclusive"),
        ({"type": "integer", "minimum": "1"}, "'minimum' must be an integer"),
        ({"type": "array"}, 'needs "items"'),
        ({"type": "object"}, '"properties" must be a JSON object'),
        (
            {"type": "object", "properties": {}, "required": ["ghost"]},
            "'ghost' is not defined",
        ),
        ({"type": "blob", "accept": ["image"]}, "'accept'"),
        ({"type": "params", "properties": {}}, "'params' cannot be declared"),
        ({"type": "union", "refs": []}, "'union' cannot be declared"),
        ({"type": "mystery"}, "'mystery' cannot be declared"),
    ],
)
def test_malformed_def_is_refused(schema: dict[str, Any], complaint: str) -> None:
    assert complaint in rejected(lexicon("com.example.bad", thing=schema))


def test_closed_union_without_refs_is_refused() -> None:
    union = {"type": "union", "refs": [], "closed": True}
    document = lexicon("com.example.bad", main={"type": "array", "items": union})
    assert "closed union" in rejected(document)


def test_params_may_not_hold_objects() -> None:
    params = {"type": "params", "properties": {"o": {"type": "object", "properties": {}}}}
    document = lexicon(
        "com.example.q", main={"type": "query", "parameters": params, "output": {"encoding": "x"}}
    )
    assert "'object' is not allowed here" in rejected(document)


def test_record_key_type_must_be_known() -> None:
    record = {"type": "record", "key": "uuid", "record": {"type": "object", "properties": {}}}
    assert '"key"' in rejected(lexicon("com.example.r", main=record))


def test_body_needs_an_encoding() -> None:
    document = lexicon("com.example.p", main={"type": "procedure", "input": {}})
    assert "encoding" in rejected(document)


def test_subscription_message_must_be_a_union() -> None:
    message = {"schema": {"type": "object", "properties": {}}}
    document = lexicon("com.example.s", main={"type": "subscription", "message": message})
    assert "'object' is not allowed here" in rejected(document)


def test_rpc_permission_needs_aud_or_inherit_aud() -> None:
    permission = {"type": "permission", "resource": "rpc", "lxm": ["com.example.call"]}
    document = lexicon(
        "com.example.perms", main={"type": "permission-set", "permissions": [permission]}
    )
    assert '"aud" is required' in rejected(document)


def test_repo_permission_actions_are_limited() -> None:
    permission = {
        "type": "permission",
        "resource": "repo",
        "collection": ["com.example.thing"],
        "action": ["create", "read"],
    }
    document = lexicon(
        "com.example.perms", main={"type": "permission-set", "permissions": [permission]}
    )
    assert '"action"' in rejected(document)


def test_permission_of_another_resource_is_not_interpreted() -> None:
    permission = {"type": "permission", "resource": "blob", "accept": ["image/*"]}
    registry = LexiconRegistry()
    registry.add_document(
        lexicon("com.example.perms", main={"type": "permission-set", "permissions": [permission]})
    )
    registry.freeze()
    assert registry.main_type("com.example.perms") == "permission-set"


# -- lookups --------------------------------------------------------------------------


def test_get_def_reads_main_with_or_without_fragment(official: LexiconRegistry) -> None:
    main = official.get_def("app.bsky.feed.post")
    assert main["type"] == "record"
    assert official.get_def("app.bsky.feed.post#main") is main


def test_get_def_reads_a_named_def(official: LexiconRegistry) -> None:
    assert official.get_def("com.atproto.repo.strongRef")["type"] == "object"
    assert official.get_def("app.bsky.feed.defs#postView")["type"] == "object"


def test_get_def_of_unknown_ref_is_not_found(official: LexiconRegistry) -> None:
    with pytest.raises(LexiconNotFound):
        official.get_def("app.bsky.feed.defs#nothing")


def test_main_type_names_the_primary_type(official: LexiconRegistry) -> None:
    assert official.main_type("app.bsky.feed.post") == "record"
    assert official.main_type("app.bsky.feed.getTimeline") == "query"
    assert official.main_type("com.atproto.repo.createRecord") == "procedure"
    assert official.main_type("com.atproto.sync.subscribeRepos") == "subscription"


def test_main_type_is_none_without_main_or_lexicon(official: LexiconRegistry) -> None:
    assert official.main_type("app.bsky.feed.defs") is None
    assert official.main_type("com.example.unknown") is None


def test_methods_lists_queries_procedures_and_subscriptions(official: LexiconRegistry) -> None:
    methods = dict(official.methods())
    assert methods["app.bsky.feed.getTimeline"] == "query"
    assert methods["com.atproto.repo.createRecord"] == "procedure"
    assert methods["com.atproto.sync.subscribeRepos"] == "subscription"
    assert "app.bsky.feed.post" not in methods
    assert set(methods.values()) == {"query", "procedure", "subscription"}


def test_record_key_types(official: LexiconRegistry) -> None:
    assert official.record_key_type("app.bsky.feed.post") == "tid"
    assert official.record_key_type("app.bsky.actor.profile") == "literal:self"
    assert official.record_key_type("com.atproto.lexicon.schema") == "nsid"


def test_record_key_type_of_a_non_record_is_not_found(official: LexiconRegistry) -> None:
    with pytest.raises(LexiconNotFound):
        official.record_key_type("app.bsky.feed.getTimeline")


def test_encodings(official: LexiconRegistry) -> None:
    assert official.input_encoding("com.atproto.repo.createRecord") == "application/json"
    assert official.input_encoding("com.atproto.repo.uploadBlob") == "*/*"
    assert official.input_encoding("app.bsky.feed.getTimeline") is None
    assert official.output_encoding("com.atproto.sync.getBlob") == "*/*"
    assert official.output_encoding("com.atproto.server.deleteSession") is None


def test_errors_are_the_declared_names(official: LexiconRegistry) -> None:
    assert official.errors("com.atproto.repo.createRecord") == {"InvalidSwap"}
    assert official.errors("app.bsky.feed.getTimeline") == set()


def test_method_lookups_of_a_record_are_not_found(official: LexiconRegistry) -> None:
    with pytest.raises(LexiconNotFound):
        official.errors("app.bsky.feed.post")
