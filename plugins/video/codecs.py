"""RFC 6381 codec strings FFmpeg's HLS muxer does not write: HEVC's (ISO/IEC 14496-15 E.3).

A master playlist's ``CODECS`` tells a player what it must decode before it fetches a
segment; FFmpeg writes it for H.264 and AAC but leaves the whole attribute out when it
cannot name HEVC. The HEVC string comes from the ``hvcC`` record (the stream's extradata in
MP4): ``hvc1.<space><profile>.<compatibility>.<tier><level>.<constraints>``.
"""

from __future__ import annotations

#: AAC profiles (FFmpeg's names) and their MPEG-4 audio object types.
AAC_OBJECT_TYPES = {"LC": 2, "HE-AAC": 5, "HE-AACv2": 29, "Main": 1, "LTP": 4}
_HVCC_LENGTH = 23
_PROFILE_SPACES = ("", "A", "B", "C")


def hevc_codec(hvcc: bytes) -> str | None:
    """The codec string of the HEVC stream whose ``hvcC`` record is ``hvcc``; ``None`` when
    it is too short or not version 1 (Annex B extradata, as in MPEG-TS)."""
    if len(hvcc) < _HVCC_LENGTH or hvcc[0] != 1:
        return None
    space, tier, profile = hvcc[1] >> 6, (hvcc[1] >> 5) & 1, hvcc[1] & 0x1F
    compatibility = int(f"{int.from_bytes(hvcc[2:6], 'big'):032b}"[::-1], 2)
    constraints = hvcc[6:12].rstrip(b"\x00")
    parts = [
        "hvc1",
        f"{_PROFILE_SPACES[space]}{profile}",
        f"{compatibility:X}",
        f"{'H' if tier else 'L'}{hvcc[12]}",
        *(f"{byte:X}" for byte in constraints),
    ]
    return ".".join(parts)


def aac_codec(profile: str | None) -> str:
    """The codec string of AAC in ``profile`` (FFmpeg's name; LC when unknown)."""
    return f"mp4a.40.{AAC_OBJECT_TYPES.get(profile or 'LC', 2)}"
