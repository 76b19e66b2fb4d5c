"""Shape and consistency checks for the shipped dictionary data (app/data/dicts/*.json).

Pure data tests: no app, no database.
"""
import json
from pathlib import Path

import pytest

DICT_DIR = Path(__file__).resolve().parent.parent / "app" / "data" / "dicts"

EXPECTED_KINDS = [
    "unit_nature",
    "industry",
    "job_category",
    "region",
    "education_level",
    "destination_category",
    "affiliation",
]

FIELD_TYPES = {"text", "region", "date", "country", "choice"}
NO_EVIDENCE_DESTINATIONS = {"70", "71", "72"}


def load(kind):
    path = DICT_DIR / f"{kind}.json"
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def entries(kind):
    return load(kind)["entries"]


def by_code(kind):
    return {e["code"]: e for e in entries(kind)}


@pytest.mark.parametrize("kind", EXPECTED_KINDS)
def test_file_parses_and_has_shape(kind):
    doc = load(kind)
    assert {"kind", "name", "entries"} <= set(doc) <= {"kind", "name", "source", "entries"}
    assert doc["kind"] == kind
    assert isinstance(doc["name"], str) and doc["name"].strip()
    assert isinstance(doc["entries"], list) and doc["entries"]
    for entry in doc["entries"]:
        assert set(entry) <= {"code", "name", "parent", "extra"}, entry
        assert {"code", "name", "parent"} <= set(entry), entry
        assert isinstance(entry["code"], str) and entry["code"], entry
        assert entry["code"] == entry["code"].strip(), entry
        assert isinstance(entry["name"], str) and entry["name"].strip(), entry
        assert entry["parent"] is None or isinstance(entry["parent"], str), entry
        if "extra" in entry:
            assert isinstance(entry["extra"], dict), entry


def test_all_expected_files_present():
    found = {p.stem for p in DICT_DIR.glob("*.json")}
    assert set(EXPECTED_KINDS) <= found


@pytest.mark.parametrize("kind", EXPECTED_KINDS)
def test_codes_unique(kind):
    codes = [e["code"] for e in entries(kind)]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    assert not dupes, f"duplicate codes in {kind}: {dupes}"


@pytest.mark.parametrize("kind", EXPECTED_KINDS)
def test_parents_exist_and_precede_children(kind):
    seen = set()
    for entry in entries(kind):
        parent = entry["parent"]
        if parent is not None:
            assert parent != entry["code"], entry
            assert parent in seen, f"{kind}: parent {parent!r} of {entry['code']!r} missing or listed after it"
        seen.add(entry["code"])


def test_region_provinces():
    regs = entries("region")
    provinces = [e for e in regs if e["parent"] is None]
    assert len(provinces) == 34
    for p in provinces:
        assert len(p["code"]) == 6 and p["code"].isdigit(), p
        assert p["code"].endswith("0000"), p
    codes = {p["code"]: p["name"] for p in provinces}
    assert codes["110000"] == "北京市"
    assert codes["810000"] == "香港特别行政区"
    assert codes["820000"] == "澳门特别行政区"
    assert codes["710000"] == "台湾省"


def test_region_children():
    """Three levels: provinces, prefectures (…00), counties; a municipality's districts hang
    directly under it, as the three-level pickers of the seeds show them."""
    regs = entries("region")
    by_code = {e["code"]: e for e in regs}
    for e in regs:
        if e["parent"] is None:
            continue
        assert len(e["code"]) == 6 and e["code"].isdigit(), e
        assert not e["code"].endswith("0000"), e
        assert e["code"][:2] == e["parent"][:2], e
        if e["extra"]["level"] == "county":
            assert by_code[e["parent"]]["extra"]["level"] in ("prefecture", "province"), e
        else:
            assert e["code"].endswith("00"), e
    children = {e["code"]: e["name"] for e in regs if e["parent"] is not None}
    assert children["440300"] == "深圳市"
    assert children["540600"] == "那曲市"
    assert children["430104"] == "岳麓区"
    assert "371200" not in children  # 莱芜市 merged into 济南市 in 2019
    assert not [c for c in children if c.startswith("3712")]
    for muni in ("110000", "120000", "310000", "500000"):
        districts = [e for e in regs if e["parent"] == muni]
        assert districts and all(e["extra"]["level"] == "county" for e in districts)


def test_industry_structure():
    ind = entries("industry")
    sections = [e for e in ind if e["parent"] is None]
    divisions = [e for e in ind if e["parent"] is not None]
    assert [s["code"] for s in sections] == list("ABCDEFGHIJKLMNOPQRST")
    assert len(divisions) == 97
    assert [d["code"] for d in divisions] == [f"{i:02d}" for i in range(1, 98)]
    names = {e["code"]: e["name"] for e in ind}
    assert names["I"] == "信息传输、软件和信息技术服务业"
    assert names["65"] == "软件和信息技术服务业"
    assert names["P"] == names["83"] == "教育"
    for d in divisions:
        assert len(d["parent"]) == 1 and d["parent"].isalpha()


def test_unit_nature_and_job_category_codes():
    units = by_code("unit_nature")
    for code in ("10", "20", "21", "22", "23", "29", "31", "32", "39", "40", "55", "56"):
        assert code in units
    assert units["21"]["name"] == "高等教育单位"
    jobs = by_code("job_category")
    assert jobs["10"]["name"] == "公务员"
    assert jobs["90"]["name"] == "其他人员"
    assert all(e["parent"] is None for e in entries("job_category"))


def test_education_level_codes():
    edu = by_code("education_level")
    assert {c: e["name"] for c, e in edu.items()} == {
        "zhuanke": "专科",
        "benke": "本科",
        "shuoshi": "硕士研究生",
        "boshi": "博士研究生",
    }
    assert list(edu) == ["zhuanke", "benke", "shuoshi", "boshi"]


def test_destination_required_codes():
    dest = by_code("destination_category")
    for code in ("10", "11", "12", "27", "46", "50", "51", "75", "76", "80", "85", "70", "71", "72"):
        assert code in dest, code
        assert dest[code]["parent"] is None, code


def test_destination_agreement_not_selectable():
    ten = by_code("destination_category")["10"]
    assert ten["extra"]["selectable"] is False
    assert ten["extra"]["kind"] == "agreement"


def test_destination_every_entry_declares_selectable():
    for e in entries("destination_category"):
        assert isinstance(e.get("extra", {}).get("selectable"), bool), e


def test_destination_selectable_entries_have_fields_and_evidence():
    selectable = [e for e in entries("destination_category") if e["extra"]["selectable"]]
    assert selectable
    for e in selectable:
        extra = e["extra"]
        fields = extra.get("fields")
        assert isinstance(fields, list), e["code"]
        keys = [f["key"] for f in fields]
        assert len(keys) == len(set(keys)), e["code"]
        for f in fields:
            assert {"key", "label", "required", "type"} <= set(f) <= {
                "key", "label", "required", "type", "options", "default"}, (e["code"], f)
            assert ("options" in f) == (f["type"] == "choice"), (e["code"], f)
            assert isinstance(f["key"], str) and f["key"], (e["code"], f)
            assert isinstance(f["label"], str) and f["label"].strip(), (e["code"], f)
            assert isinstance(f["required"], bool), (e["code"], f)
            assert f["type"] in FIELD_TYPES, (e["code"], f)
        root = e["code"] if e["parent"] is None else e["parent"]
        if root in NO_EVIDENCE_DESTINATIONS:
            assert extra.get("evidence") is None or isinstance(extra["evidence"], str)
            assert all(not f["required"] for f in fields), e["code"]
        else:
            assert isinstance(extra.get("evidence"), str) and extra["evidence"].strip(), e["code"]
            assert fields, e["code"]


def test_destination_specific_fields():
    dest = by_code("destination_category")

    def keys(code):
        return {f["key"] for f in dest[code]["extra"]["fields"]}

    assert {"admitting_institution", "institution_region", "admitted_major"} <= keys("80")
    assert {"country", "institution"} <= keys("85")
    assert {"unit_name", "unit_credit_code", "unit_region", "contract_start"} <= keys("11")
    assert {"enterprise_name", "unit_credit_code"} <= keys("75")
    assert "enlistment_region" in keys("46")
    for code in ("70", "71", "72"):
        assert dest[code]["extra"]["placed"] is False


def test_destination_children_are_second_level():
    dest = by_code("destination_category")
    for code, e in dest.items():
        if e["parent"] is not None:
            assert dest[e["parent"]]["parent"] is None, code
            assert code.startswith(e["parent"]), code
