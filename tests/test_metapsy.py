"""The pinned Metapsy loader, on the copy the loader finds (the one shipped in data/metapsy/;
never downloaded in tests: the download is patched where it is exercised)."""

import hashlib
import json
import re
import shutil

import pytest

from evidence_lib.app.paths import DATA_DIR
from evidence_lib.loaders import metapsy
from evidence_lib.loaders.packaged import MANIFEST_NAME
from evidence_lib.loaders.metapsy import ChecksumError, load_metapsy


@pytest.fixture
def shared_csv(metapsy_csv):
    return metapsy_csv


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No env var, no shipped copy, no shared copy, an empty cache: only the (patched) download remains."""
    monkeypatch.delenv(metapsy.ENV_VAR, raising=False)
    monkeypatch.setattr(metapsy, "PACKAGED", tmp_path / "not-shipped" / "data.csv")
    monkeypatch.setenv("EVIDENCE_LIB_SHARED", str(tmp_path / "no-shared"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def test_perinatal_rows_and_cooper_2003(shared_csv):
    ppd = load_metapsy(shared_csv)
    assert len(ppd) == 95
    assert (ppd["target_group"] == "ppd").all()
    assert ppd["row_id"].is_unique and ".id" in ppd.columns
    # research/trial_data_leads.csv: row 128, Cooper 2003 psychodynamic vs care as usual
    row = ppd.set_index("row_id").loc[128]
    assert row["study"] == "Cooper, 2003" and row["condition_arm1"] == "dyn" and row["condition_arm2"] == "cau"
    assert (row["mean_arm1"], row["sd_arm1"], row["n_arm1"]) == (8.9, 4.2, 45)
    assert (row["mean_arm2"], row["sd_arm2"], row["n_arm2"]) == (11.3, 4.8, 50)
    assert row[".g"] == pytest.approx(0.526, abs=5e-4)
    assert row[".g_se"] == pytest.approx(0.2091, abs=5e-5)


def _offline(url, dest):
    raise OSError("network is unreachable")


def test_default_location_is_the_shipped_copy_offline(monkeypatch, tmp_path):
    monkeypatch.delenv(metapsy.ENV_VAR, raising=False)
    monkeypatch.setenv("EVIDENCE_LIB_SHARED", str(tmp_path / "no-shared"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(metapsy, "_download", _offline)
    assert metapsy.locate() == metapsy.PACKAGED == DATA_DIR / "metapsy" / "data.csv"
    assert len(load_metapsy()) == 95


def test_shipped_copy_carries_its_attribution():
    source = (metapsy.PACKAGED.parent / "SOURCE.md").read_text(encoding="utf-8")
    for needed in ("ODC-By", "opendatacommons.org/licenses/by/1-0", metapsy.DOI, metapsy.COMMIT, metapsy.SHA256):
        assert needed in source, needed
    listed = json.loads((DATA_DIR / MANIFEST_NAME).read_text(encoding="utf-8"))["files"]["metapsy/data.csv"]
    assert listed == {"rows": 900, "sha256": metapsy.SHA256}


def test_altered_shipped_copy_is_an_error(isolated, shared_csv, monkeypatch):
    copy = isolated / "shipped" / "data.csv"
    copy.parent.mkdir()
    copy.write_bytes(shared_csv.read_bytes().replace(b"Cooper, 2003", b"Cooper, 2004"))
    monkeypatch.setattr(metapsy, "PACKAGED", copy)
    with pytest.raises(ChecksumError, match=re.escape(str(copy)) + ".*does not match the pinned"):
        load_metapsy()


def test_without_the_shipped_copy_the_shared_copy_is_used(isolated, shared_csv, monkeypatch):
    copy = isolated / "no-shared" / "data" / "metapsy-depression-psyctr" / "data.csv"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(shared_csv, copy)
    monkeypatch.setattr(metapsy, "_download", _offline)
    assert metapsy.locate() == copy


def test_all_rows_and_unknown_target_group(shared_csv):
    assert len(load_metapsy(shared_csv, target_group=None)) == 900
    with pytest.raises(ValueError, match="unknown target_group 'nope'.*'ppd'"):
        load_metapsy(shared_csv, target_group="nope")


def test_checksum_mismatch_is_an_error(shared_csv, tmp_path, monkeypatch):
    altered = tmp_path / "data.csv"
    raw = bytearray(shared_csv.read_bytes())
    raw[-2] = ord("X") if raw[-2] != ord("X") else ord("Y")
    altered.write_bytes(bytes(raw))
    with pytest.raises(ChecksumError, match=re.escape(str(altered)) + ".*does not match the pinned"):
        load_metapsy(altered)
    monkeypatch.setenv(metapsy.ENV_VAR, str(altered))
    with pytest.raises(ChecksumError):
        load_metapsy()


def test_altered_shared_copy_is_an_error(isolated, shared_csv, monkeypatch):
    copy = isolated / "no-shared" / "data" / "metapsy-depression-psyctr" / "data.csv"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(shared_csv.read_bytes() + b"\n")
    with pytest.raises(ChecksumError, match="does not match"):
        load_metapsy()


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load_metapsy(tmp_path / "absent.csv")


def test_offline_without_a_copy_says_how_to_supply_it(isolated, monkeypatch):
    monkeypatch.setattr(metapsy, "_download", _offline)
    with pytest.raises(FileNotFoundError, match=r"load_metapsy\(path=\.\.\.\).*EVIDENCE_LIB_METAPSY"):
        load_metapsy()
    assert not list((isolated / "cache" / "evidence_lib").glob("*.csv"))


def test_download_lands_in_the_cache_after_verification(isolated, shared_csv, monkeypatch):
    calls = []

    def fake_download(url, dest):
        calls.append(url)
        shutil.copyfile(shared_csv, dest)

    monkeypatch.setattr(metapsy, "_download", fake_download)
    assert len(load_metapsy()) == 95
    assert calls == [metapsy.URL] and metapsy.COMMIT in calls[0]
    assert (isolated / "cache" / "evidence_lib" / metapsy.CACHE_NAME).is_file()
    assert len(load_metapsy()) == 95 and len(calls) == 1  # second call reads the cache


def test_corrupt_download_is_rejected_and_not_cached(isolated, monkeypatch):
    monkeypatch.setattr(metapsy, "_download", lambda url, dest: dest.write_bytes(b"not the database"))
    with pytest.raises(ChecksumError):
        load_metapsy()
    assert not (isolated / "cache" / "evidence_lib" / metapsy.CACHE_NAME).exists()


def test_pinned_checksum_is_the_files(shared_csv):
    # computed here with hashlib, not by the loader: the pin is the file's real digest
    assert hashlib.sha256(shared_csv.read_bytes()).hexdigest() == metapsy.SHA256
    assert metapsy.COMMIT in metapsy.URL and len(metapsy.COMMIT) == 40
