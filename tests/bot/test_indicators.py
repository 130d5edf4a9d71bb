import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.indicators import (
    BankAccount,
    Indicator,
    display_link,
    find_accounts,
    find_banks,
    format_phone,
    normalize_app,
    normalize_query,
    parse_amount,
    parse_indicators,
    search_key,
)


def phones(text: str) -> list[str]:
    """The phone numbers a resident's answer to the phone question is stored as."""
    return [i.value for i in parse_indicators("phone", text) if i.parsed]


def links(text: str) -> list[str]:
    """The links a /check query searches for."""
    return [i.value for i in normalize_query(text) if i.kind == "link"]


# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0912.345.678", ["+84912345678"]),
        ("0912 345 678", ["+84912345678"]),
        ("+84 912 345 678", ["+84912345678"]),
        ("84912345678", ["+84912345678"]),
        ("(+84) 912-345-678", ["+84912345678"]),
        ("84-912-345-678", ["+84912345678"]),
        ("0084 912 345 678", ["+84912345678"]),
        ("  0912345678\n", ["+84912345678"]),
        ("SĐT: 0912345678", ["+84912345678"]),
        ("SĐT0912345678", ["+84912345678"]),
        ("0263 3822 222", ["+842633822222"]),  # Lâm Đồng landline
        ("+1 650 253 0000", ["+16502530000"]),
        ("+44 20 7946 0958", ["+442079460958"]),
        ("113", []),
        ("0912 345", []),
        ("", []),
        ("gọi cho tôi", []),
        ("0912345678 hoặc 0987654321", ["+84912345678", "+84987654321"]),
    ],
)
def test_phones(text, expected):
    assert phones(text) == expected


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # Viettel 0162-0169 -> 032-039
        *((f"016{d}2345678", f"+843{d}2345678") for d in "23456789"),
        # MobiFone
        ("01202345678", "+84702345678"),
        ("01212345678", "+84792345678"),
        ("01222345678", "+84772345678"),
        ("01262345678", "+84762345678"),
        ("01282345678", "+84782345678"),
        # VinaPhone
        ("01232345678", "+84832345678"),
        ("01242345678", "+84842345678"),
        ("01252345678", "+84852345678"),
        ("01272345678", "+84812345678"),
        ("01292345678", "+84822345678"),
        # Vietnamobile, Gmobile
        ("01862345678", "+84562345678"),
        ("01882345678", "+84582345678"),
        ("01992345678", "+84592345678"),
    ],
)
def test_old_eleven_digit_mobiles_map_to_todays_numbers(old, new):
    assert phones(old) == [new]


@pytest.mark.parametrize(
    "written",
    [
        "0166 234 5678",
        "0166.234.5678",
        "+84 166 234 5678",
        "+841662345678",
        "841662345678",
        "84-1662-345-678",
        "(+84) 166-234-5678",
    ],
)
def test_old_numbers_in_any_spelling(written):
    assert phones(written) == ["+84362345678"]


def test_phones_in_free_text():
    text = (
        "Nó gọi từ 0912.345.678, sau đó từ số cũ 0166 234 5678 và SĐT0987654321; "
        "còn có số nước ngoài +44 20 7946 0958. Lại gọi 0912 345 678."
    )
    assert phones(text) == ["+84912345678", "+84362345678", "+84987654321", "+442079460958"]


def test_format_phone():
    assert format_phone("+84912345678") == "0912 345 678"
    assert format_phone("+16502530000") == "+1 650-253-0000"
    assert format_phone("not a number") == "not a number"


# --- accounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number", "bank"),
    [
        ("Vietcombank 0071 0012 34567", "0071001234567", "Vietcombank"),
        ("STK 190333 MB bank", "190333", "MB"),
        ("tk 123456789 tại Agribank", "123456789", "Agribank"),
        ("190333", "190333", None),
        ("vcb: 0071-0012-34567", "0071001234567", "Vietcombank"),
        ("MBBank 0912345678", "0912345678", "MB"),
        ("Ngân hàng Á Châu 12345678", "12345678", "ACB"),
        ("ngan hang sai gon thuong tin 1234567", "1234567", "Sacombank"),
        ("NH Sài Gòn 1234567", "1234567", "SCB"),
        ("LienVietPostBank 1234567", "1234567", "LPBank"),
        ("nam a bank 1234567", "1234567", "Nam A Bank"),
        ("Ví MoMo 0912345678", "0912345678", "MoMo"),
        ("chuyển 5.000.000đ vào stk 1234567 sacombank", "1234567", "Sacombank"),
        ("4111 1111 1111 1111", "4111111111111111", None),  # a card number
    ],
)
def test_accounts(text, number, bank):
    [account] = find_accounts(text)
    assert (account.number, account.bank) == (number, bank)


@pytest.mark.parametrize("text", ["", "Vietcombank", "12345", "5.000.000", "500000đ", "20 triệu"])
def test_no_account_without_a_number(text):
    assert find_accounts(text) == []


def test_each_account_takes_the_nearest_bank():
    accounts = find_accounts("VCB 0071001234567 và Techcombank 19033344455566")
    assert [(a.number, a.bank) for a in accounts] == [
        ("0071001234567", "Vietcombank"),
        ("19033344455566", "Techcombank"),
    ]


def test_numbers_separated_by_spaces_are_not_glued_into_one_account():
    accounts = find_accounts("0912345678 0987654321 0123456789")
    assert [a.number for a in accounts] == ["0912345678", "0987654321", "0123456789"]


@pytest.mark.parametrize(
    ("spelling", "banks"),
    [
        ("vietcombank", ["Vietcombank"]),
        ("VCB", ["Vietcombank"]),
        ("VietinBank", ["VietinBank"]),
        ("CTG", ["VietinBank"]),
        ("bidv", ["BIDV"]),
        ("Agribank", ["Agribank"]),
        ("Techcombank", ["Techcombank"]),
        ("TCB", ["Techcombank"]),
        ("MB", ["MB"]),
        ("MBBank", ["MB"]),
        ("mb-bank", ["MB"]),
        ("Ngân hàng Quân đội", ["MB"]),
        ("ACB", ["ACB"]),
        ("VPBank", ["VPBank"]),
        ("TPBank", ["TPBank"]),
        ("Sacombank", ["Sacombank"]),
        ("STB", ["Sacombank"]),
        ("SHB", ["SHB"]),
        ("HDBank", ["HDBank"]),
        ("VIB", ["VIB"]),
        ("OCB", ["OCB"]),
        ("SeABank", ["SeABank"]),
        ("MSB", ["MSB"]),
        ("Eximbank", ["Eximbank"]),
        ("LPBank", ["LPBank"]),
        ("Lien Viet Post Bank", ["LPBank"]),
        ("Nam A Bank", ["Nam A Bank"]),
        ("Ngân hàng Nam Á", ["Nam A Bank"]),
        ("Bac A Bank", ["Bac A Bank"]),
        ("PVcomBank", ["PVcomBank"]),
        ("ABBANK", ["ABBANK"]),
        ("KienlongBank", ["KienlongBank"]),
        ("BaoViet Bank", ["BaoViet Bank"]),
        ("Vietbank", ["Vietbank"]),
        ("NCB", ["NCB"]),
        ("SCB", ["SCB"]),
        ("Cake", ["Cake"]),
        ("Timo", ["Timo"]),
        ("MoMo", ["MoMo"]),
        ("ví momo", ["MoMo"]),
        ("ZaloPay", ["ZaloPay"]),
        ("Zalo Pay", ["ZaloPay"]),
        ("ViettelMoney", ["Viettel Money"]),
        ("Viettel Pay", ["Viettel Money"]),
        ("", []),
        ("quốc tế", []),  # a full name only counts after "ngân hàng"
        ("Vietcombank hoặc BIDV", ["Vietcombank", "BIDV"]),
    ],
)
def test_bank_spellings(spelling, banks):
    assert find_banks(spelling) == banks


# --- links and apps ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://www.Example-Scam.vn/login?x=1", ["example-scam.vn"]),
        ("example-scam.vn/abc", ["example-scam.vn"]),
        ("EXAMPLE-SCAM.VN", ["example-scam.vn"]),
        ("hxxps://example-scam[.]vn/login", ["example-scam.vn"]),
        ("hxxp://example-scam(dot)vn", ["example-scam.vn"]),
        ("example-scam[.]vn", ["example-scam.vn"]),
        ("<https://example-scam.vn:8443/>", ["example-scam.vn"]),
        ("http://example-scam.vn./", ["example-scam.vn"]),
        ("http://việt-nam.vn/x", ["xn--vit-nam-zv4c.vn"]),
        ("xn--vit-nam-zv4c.vn", ["xn--vit-nam-zv4c.vn"]),
        ("http://vietcombank.com.vn@evil.xyz/login", ["evil.xyz"]),  # userinfo trick
        ("http://103.1.2.3/login", ["103.1.2.3"]),
        ("abc.weird-tld-only-with-scheme", []),
        ("https://abc.weirdtld", ["abc.weirdtld"]),
        ("scam.top", ["scam.top"]),
        ("https://www.facebook.com/Some.Page?ref=share", ["facebook.com/some.page"]),
        ("m.facebook.com/groups/ABC123/posts/9", ["facebook.com/groups/abc123"]),
        (
            "https://facebook.com/profile.php?id=100012345",
            ["facebook.com/profile.php?id=100012345"],
        ),
        ("t.me/Scam_Bot", ["t.me/scam_bot"]),
        ("https://t.me/+AbCdEf", ["t.me/+AbCdEf"]),
        ("zalo.me/0912345678", ["zalo.me/0912345678"]),
        ("bit.ly/3AbCdE", ["bit.ly/3AbCdE"]),
        ("facebook.com", ["facebook.com"]),
        ("Scam@Gmail.com", ["scam@gmail.com"]),
        ("Tp.HCM", []),
        ("v.v.", []),
        ("1.5tr", []),
        ("1.500.000", []),
        ("Zalo", []),
        ("", []),
        ("xem abc.vn và xyz.vn", ["abc.vn", "xyz.vn"]),
    ],
)
def test_links(text, expected):
    assert links(text) == expected


def test_links_in_free_text():
    text = "Nó gửi link hxxps://abc-scam[.]vn/dang-nhap, rồi bit.ly/XyZ và email lua@dao.com."
    assert links(text) == ["abc-scam.vn", "bit.ly/XyZ", "lua@dao.com"]


def test_display_link_decodes_idna():
    assert display_link("xn--vit-nam-zv4c.vn") == "việt-nam.vn"
    assert display_link("example.vn") == "example.vn"
    assert display_link("xn--zz.vn") == "xn--zz.vn"  # undecodable: shown as it is


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zalo", "zalo"),
        ("Ví Đầu Tư ABC", "vidautuabc"),
        ("vi dau tu abc", "vidautuabc"),
        ("App ABC-Invest", "abcinvest"),
        ("ứng dụng Tiktok Shop", "tiktokshop"),
        ("  ", None),
    ],
)
def test_normalize_app(text, expected):
    assert normalize_app(text) == expected


# --- amounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,5 triệu", 1_500_000),
        ("1.5tr", 1_500_000),
        ("2tr", 2_000_000),
        ("500k", 500_000),
        ("500K", 500_000),
        ("500 nghìn", 500_000),
        ("500 ngàn", 500_000),
        ("500 nghin", 500_000),
        ("1.500.000đ", 1_500_000),
        ("1.500.000 đồng", 1_500_000),
        ("1,500,000 VND", 1_500_000),
        ("VND 1,500,000", 1_500_000),
        ("1 500 000 ₫", 1_500_000),
        ("2 tỷ", 2_000_000_000),
        ("2 tỉ", 2_000_000_000),
        ("3 tỉ 200 triệu", 3_200_000_000),
        ("1 triệu 2", 1_200_000),
        ("1tr2", 1_200_000),
        ("1tr25", 1_250_000),
        ("1 triệu 200", 1_200_000),
        ("2 tỷ 3", 2_300_000_000),
        ("1 triệu 2 trăm", 1_200_000),
        ("5 trăm nghìn", 500_000),
        ("1 nghìn tỷ", 1_000_000_000_000),
        ("15000000", 15_000_000),
        ("1.500", 1_500),
        ("1,500", 1_500),
        ("2,25 tỷ", 2_250_000_000),
        ("1.500.000,00", 1_500_000),
        ("2,500.5 triệu", 2_500_500_000),
        ("500kđ", 500_000),
        ("khoảng 50 củ", 50_000_000),
        ("mất 20tr", 20_000_000),
        ("2.5 million", 2_500_000),
        ("10 TRIỆU ĐỒNG", 10_000_000),
        ("10 trieu dong", 10_000_000),
        ("10000000000000", 10**13),
    ],
)
def test_parse_amount(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "triệu",
        "0",
        "0đ",
        "-500k",
        "−2 triệu",
        "1-2 triệu",  # a range
        "1,5",  # 1.5 dong
        "0912345678",  # a phone number
        "100 USD",
        "10000000000001",  # more than 10^13
        "99999 tỷ",
        "1.50.000",  # bad grouping
        "200 triệu 3 tỷ",  # scales out of order
        "5 10",
        "1 triệu 2500",
        "không biết",
    ],
)
def test_parse_amount_rejects(text):
    assert parse_amount(text) is None


# --- parse_indicators and normalize_query -----------------------------------------------------


def test_parse_indicators_phone_keeps_display_and_leftovers():
    found = parse_indicators("phone", "0912.345.678 và 0123 45")
    assert found[0] == Indicator("phone", "+84912345678", "0912.345.678")
    assert found[1].parsed is False
    assert found[1].display == "0912.345.678 và 0123 45"


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("phone", "nó giấu số"),
        ("account", "không nhớ số tài khoản"),
        ("amount", "không nhớ, nhiều lắm"),
    ],
)
def test_unparsable_input_is_kept_not_lost(kind, text):
    assert parse_indicators(kind, text) == [
        Indicator(kind, search_key(text), text, bank=None, parsed=False)
    ]


def test_unparsed_account_keeps_the_bank():
    assert parse_indicators("account", "Vietcombank, quên số") == [
        Indicator("account", "vietcombankquenso", "Vietcombank, quên số", "Vietcombank", False)
    ]


def test_parse_indicators_accounts():
    assert parse_indicators("account", "VCB 0071 0012 34567\nMoMo 0912345678") == [
        Indicator("account", "0071001234567", "0071 0012 34567", bank="Vietcombank"),
        Indicator("account", "0912345678", "0912345678", bank="MoMo"),
    ]


def test_parse_indicators_links_and_apps():
    text = "hxxps://abc-scam[.]vn/login, App Ví Đầu Tư; t.me/xyz\nTikTok"
    assert parse_indicators("link", text) == [
        Indicator("link", "abc-scam.vn", "hxxps://abc-scam[.]vn/login"),
        Indicator("app", "vidautu", "App Ví Đầu Tư"),
        Indicator("link", "t.me/xyz", "t.me/xyz"),
        Indicator("app", "tiktok", "TikTok"),
    ]
    assert parse_indicators("app", "Zalo") == [Indicator("app", "zalo", "Zalo")]


def test_parse_indicators_amounts():
    assert parse_indicators("amount", " 1,5 triệu ") == [
        Indicator("amount", "1500000", "1,5 triệu")
    ]
    assert parse_indicators("amount", "5tr + 10 triệu") == [
        Indicator("amount", "5000000", "5tr"),
        Indicator("amount", "10000000", "10 triệu"),
    ]


def test_parse_indicators_dedupes_and_handles_empty():
    assert parse_indicators("phone", "0912345678, 0912.345.678") == [
        Indicator("phone", "+84912345678", "0912345678")
    ]
    assert parse_indicators("phone", "   ") == []
    with pytest.raises(ValueError, match="unknown indicator kind"):
        parse_indicators("email", "x")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "0912 345 678",
            [("phone", "+84912345678", None), ("account", "0912345678", None)],
        ),
        ("+84 912 345 678", [("phone", "+84912345678", None)]),
        (
            "01662345678",
            [("phone", "+84362345678", None), ("account", "01662345678", None)],
        ),
        ("VCB 0071001234567", [("account", "0071001234567", "Vietcombank")]),
        ("190333", [("account", "190333", None)]),
        ("hxxps://abc-scam[.]vn/login", [("link", "abc-scam.vn", None)]),
        ("Tiktok Shop", [("app", "tiktokshop", None)]),
        ("", []),
    ],
)
def test_normalize_query(query, expected):
    assert [(i.kind, i.value, i.bank) for i in normalize_query(query)] == expected


def test_search_key():
    assert search_key("Ví MoMo!") == "vimomo"
    assert search_key("Đà Lạt") == "dalat"
    assert search_key("🙂🙂") == "🙂🙂"


def test_bank_account_is_a_small_value_type():
    assert BankAccount("123456", "MB") == BankAccount("123456", "MB")


# --- properties -------------------------------------------------------------------------------

_KINDS = st.sampled_from(["phone", "account", "link", "app", "amount"])
_PHONE_LIKE = st.from_regex(r"\A[+(]?[0-9 .()\-]{0,20}\Z")
_AMOUNT_LIKE = st.from_regex(
    r"\A-?[0-9]{0,6}([.,][0-9]{1,3}){0,3} ?(k|tr|triệu|tỷ|nghìn|trăm|đ)? ?[0-9]{0,3}\Z"
)


def test_nothing_searchable_gives_no_indicator():
    assert parse_indicators("phone", "\u1ab0") == []  # a lone combining mark


@given(kind=_KINDS, text=st.text())
def test_parse_indicators_never_raises(kind, text):
    for indicator in parse_indicators(kind, text):
        assert indicator.value
        assert indicator.kind in ("phone", "account", "link", "app", "amount")


@given(text=st.text() | _PHONE_LIKE)
def test_normalize_query_and_finders_never_raise(text):
    normalize_query(text)
    find_accounts(text)
    find_banks(text)


@given(text=st.text() | _PHONE_LIKE)
def test_e164_results_parse_back_as_valid_numbers(text):
    for e164 in phones(text):
        number = phonenumbers.parse(e164, None)
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == e164


@given(text=st.text() | _AMOUNT_LIKE)
def test_amounts_are_positive_whole_dong(text):
    amount = parse_amount(text)
    assert amount is None or (type(amount) is int and 0 < amount <= 10**13)


@given(st.integers(min_value=1, max_value=10**13))
def test_plain_amounts_round_trip(n):
    assert parse_amount(str(n)) == n
    assert parse_amount(f"{n:,}") == n
    assert parse_amount(f"{n:,}".replace(",", ".") + "đ") == n
