"""A download's Content-Disposition (RFC 6266, RFC 5987): whatever the file's name, one header every browser reads,
with the name itself percent-encoded and a plain ASCII fallback that no quote or line break can end early."""

from __future__ import annotations

from web.downloads import INLINE, content_disposition


def test_a_name_outside_ascii_is_percent_encoded_beside_an_ascii_fallback() -> None:
    assert content_disposition("Caf\u00e9 review \u2013 \u201cSafer\u201d streets.pdf") == (
        "attachment; filename=\"Cafe review Safer streets.pdf\"; "
        "filename*=UTF-8''Caf%C3%A9%20review%20%E2%80%93%20%E2%80%9CSafer%E2%80%9D%20streets.pdf")


def test_quotes_backslashes_and_line_breaks_cannot_break_the_header() -> None:
    header = content_disposition('a "quoted"\\name\r\nSet-Cookie: x=1.pdf', INLINE)
    assert header == ("inline; filename=\"a quotednameSet-Cookie: x=1.pdf\"; "
                      "filename*=UTF-8''a%20%22quoted%22%5CnameSet-Cookie%3A%20x%3D1.pdf")
    assert "\r" not in header and "\n" not in header


def test_a_plain_name_and_a_name_with_nothing_ascii_still_have_a_filename() -> None:
    assert content_disposition("minutes-risk_board-2021-08-19.pdf") == (
        "attachment; filename=\"minutes-risk_board-2021-08-19.pdf\"; "
        "filename*=UTF-8''minutes-risk_board-2021-08-19.pdf")
    assert content_disposition("\u201c\u201d").startswith('attachment; filename="download"; filename*=UTF-8\'\'%E2')
