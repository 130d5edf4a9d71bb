"""Fraud indicators — phone numbers, bank accounts, links, app names, money — made searchable.

Residents type what a scammer used however they like: ``0912.345.678``, ``01662345678`` (a
pre-2018 number), ``STK 190333 MB bank``, ``hxxps://abc[.]vn/login``, ``1tr5``. Each parser turns
that into a canonical ``value`` that storage indexes and ``/check`` looks up, so the same scammer
reported twice in different spellings is found once. What cannot be parsed is still kept, as an
``Indicator`` with ``parsed=False`` whose ``value`` is the accent-insensitive search key of the
text.

Search values by kind:

- phone:   E.164 (``+84912345678``). Old 11-digit mobile numbers are mapped to today's numbers.
- account: the digits only, leading zeros kept (``0071001234567``); the bank, when named, goes in
  ``Indicator.bank`` as a canonical short name, and is not part of the value: residents often
  misname the bank, and one account number is enough to find a scammer.
- link:    the host, lowercase, ``www.`` removed, IDNA (``xn--``) ASCII form. On social networks and
  link shorteners the host says nothing about the scammer, so the profile or short code is kept:
  ``facebook.com/some.page``, ``t.me/scam_bot``, ``bit.ly/AbC12``. E-mail addresses are kept whole.
- app:     ``search_key`` of the name: accents, case, spaces and punctuation removed
  (``"Ví Đầu Tư ABC"`` -> ``"vidautuabc"``), so ``"vi dau tu abc"`` finds it; the display keeps
  the accents.
- amount:  whole dong as a decimal string (``"1500000"``); see ``parse_amount`` for the rules.

Pure functions, no I/O. Nothing here raises on arbitrary text.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal, get_args
from urllib.parse import parse_qs, urlsplit

import phonenumbers

from bot.normalize import normalize_text

__all__ = [
    "KINDS",
    "BankAccount",
    "Indicator",
    "IndicatorKind",
    "clean_text",
    "display_link",
    "find_accounts",
    "find_banks",
    "format_phone",
    "link_spans",
    "normalize_app",
    "normalize_query",
    "parse_amount",
    "parse_indicators",
    "search_key",
    "strip_accents",
]

IndicatorKind = Literal["phone", "account", "link", "app", "amount"]
KINDS: tuple[str, ...] = get_args(IndicatorKind)


@dataclass(frozen=True, slots=True)
class Indicator:
    """One thing the scammer used. ``value`` is what is searched; ``display`` is what was typed."""

    kind: IndicatorKind
    value: str
    display: str
    bank: str | None = None
    parsed: bool = True


@dataclass(frozen=True, slots=True)
class BankAccount:
    number: str  # digits only, leading zeros kept
    bank: str | None = None  # canonical short name, e.g. "Vietcombank", "MB", "MoMo"
    display: str = ""  # the number as written


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"\s+")
# Control characters and lone surrogates separate words; invisible ones are removed before.
_SEPARATING_CATEGORIES = frozenset({"Cc", "Cs"})


def clean_text(text: str) -> str:
    """The bot's one normaliser (bot/normalize.py: NFKC, invisible characters removed), then
    control characters to spaces, whitespace collapsed, stripped."""
    text = normalize_text(text)
    text = "".join(" " if unicodedata.category(c) in _SEPARATING_CATEGORIES else c for c in text)
    return _WHITESPACE.sub(" ", text).strip()


def strip_accents(text: str) -> str:
    """Remove diacritics; đ/Đ become d/D (Unicode does not decompose them)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def search_key(text: str) -> str:
    """Accent-, case-, space- and punctuation-insensitive key: ``"Ví MoMo!"`` -> ``"vimomo"``.

    Text with no letter or digit at all (emoji, punctuation) keeps its casefolded form, so only
    blank text has an empty key.
    """
    folded = strip_accents(clean_text(text)).casefold()
    return "".join(c for c in folded if c.isalnum()) or folded


def _fold_aligned(text: str) -> str:
    """Lowercase, accentless, every non-alphanumeric character a space — with the same length as
    ``text``, so a match's position in the folded text is its position in the original."""
    out = []
    for c in text:
        base = strip_accents(c).lower()
        out.append(base[0] if len(base) == 1 and base.isalnum() else " ")
    return "".join(out)


def _rewrite(
    text: str, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]
) -> tuple[str, list[int]]:
    """``pattern.sub(repl, text)`` that also gives, for each character of the result, the index
    of the character of ``text`` it came from — to show a match as the resident typed it."""
    parts: list[str] = []
    origin: list[int] = []
    pos = 0
    for m in pattern.finditer(text):
        start, end = m.span()
        parts.append(text[pos:start])
        origin.extend(range(pos, start))
        new = repl(m)
        last = max(start, end - 1)
        parts.append(new)
        origin.extend(last if i == len(new) - 1 else min(start + i, last) for i in range(len(new)))
        pos = end
    parts.append(text[pos:])
    origin.extend(range(pos, len(text)))
    return "".join(parts), origin


def _span_in_original(origin: list[int], start: int, end: int, length: int) -> tuple[int, int]:
    first = origin[start] if start < len(origin) else length
    last = origin[end - 1] + 1 if 0 < end <= len(origin) else length
    return first, max(first, min(last, length))


def _dedupe(indicators: Iterable[Indicator]) -> list[Indicator]:
    """Each indicator once; none whose searchable value folds to nothing (a lone accent mark)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for ind in indicators:
        if ind.value and (ind.kind, ind.value) not in seen:
            seen.add((ind.kind, ind.value))
            out.append(ind)
    return out


def _unparsed(kind: IndicatorKind, text: str, bank: str | None = None) -> Indicator:
    return Indicator(kind, search_key(text), clean_text(text), bank=bank, parsed=False)


# --------------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------------

# The 2018 conversion of 11-digit mobile numbers: 01XY + 7 digits -> 0AB + 7 digits.
_OLD_MOBILE_PREFIXES = {
    **{f"16{d}": f"3{d}" for d in "23456789"},  # Viettel 0162-0169 -> 032-039
    "120": "70", "121": "79", "122": "77", "126": "76", "128": "78",  # MobiFone
    "123": "83", "124": "84", "125": "85", "127": "81", "129": "82",  # VinaPhone
    "186": "56", "188": "58",  # Vietnamobile
    "199": "59",  # Gmobile
}  # fmt: skip
_OLD_MOBILE = re.compile(
    r"(?<![\d+])"
    r"(?:\(?\s*(?:\+|00)?\s*84\s*\)?[\s.\-]*|0)"  # +84, (+84), 84, 0084 or the trunk 0
    r"(?P<prefix>1\d\d)"
    r"(?P<rest>(?:[\s.\-]?\d){7})(?!\d)"
)
# PhoneNumberMatcher ignores numbers glued to letters ("SĐT0912345678"): pull them apart.
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def _modernise_old_mobile(m: re.Match[str]) -> str:
    new = _OLD_MOBILE_PREFIXES.get(m["prefix"])
    if new is None:
        return m[0]
    return "0" + new + re.sub(r"\D", "", m["rest"])


def _prepare_for_phones(text: str) -> tuple[str, list[int]]:
    step1, origin1 = _rewrite(text, _OLD_MOBILE, _modernise_old_mobile)
    step2, origin2 = _rewrite(step1, _LETTER_DIGIT, lambda m: " ")
    return step2, [origin1[j] if j < len(origin1) else len(text) for j in origin2]


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone_matches(text: str) -> list[tuple[str, int, int]]:
    """(E.164, start, end in ``text``) of every valid number in a free text.

    Vietnamese numbers may be written nationally (``0912 345 678``), with 84/+84/0084, with any
    separators, or in the pre-2018 11-digit form; foreign numbers need their ``+``.
    """
    prepared, origin = _prepare_for_phones(text)
    found = []
    for m in phonenumbers.PhoneNumberMatcher(prepared, "VN"):
        if phonenumbers.is_valid_number(m.number):
            start, end = _span_in_original(origin, m.start, m.end, len(text))
            found.append((_e164(m.number), start, end))
    return found


def format_phone(e164: str) -> str:
    """How an officer reads a number: national format for Vietnam, international otherwise."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 84
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


# --------------------------------------------------------------------------------------------
# Banks and accounts
# --------------------------------------------------------------------------------------------

# Canonical short name -> spellings, written accentless and lowercase (matching is done on
# folded text, so "Ngân hàng Á Châu", "ngan hang a chau" and "NH A CHAU" are all ACB). Spaces in
# a spelling are optional in the text ("mb bank" also matches "mbbank"). Full Vietnamese names
# only count after "ngân hàng"/"NH": "quốc tế" alone is not VIB.
_BANK_SPELLINGS: dict[str, tuple[str, ...]] = {
    "Vietcombank": ("vietcombank", "vietcom bank", "vietcom", "vcb", "ngan hang ngoai thuong"),
    "VietinBank": ("vietinbank", "vietin bank", "vietin", "ctg", "ngan hang cong thuong"),
    "BIDV": ("bidv", "ngan hang dau tu va phat trien", "ngan hang dau tu phat trien"),
    "Agribank": ("agribank", "agri bank", "agri", "ngan hang nong nghiep"),
    "Techcombank": ("techcombank", "techcom bank", "techcom", "tcb", "ngan hang ky thuong"),
    "MB": ("mb bank", "mb", "mbb", "military bank", "ngan hang quan doi"),
    "ACB": ("acb", "ngan hang a chau"),
    "VPBank": ("vp bank", "vpb", "ngan hang viet nam thinh vuong"),
    "TPBank": ("tp bank", "tpb", "ngan hang tien phong"),
    "Sacombank": ("sacombank", "sacom", "stb", "ngan hang sai gon thuong tin"),
    "SHB": ("shb", "ngan hang sai gon ha noi"),
    "HDBank": ("hd bank", "hdb", "ngan hang phat trien tp hcm"),
    "VIB": ("vib", "ngan hang quoc te"),
    "OCB": ("ocb", "ngan hang phuong dong"),
    "SeABank": ("sea bank", "seab", "ngan hang dong nam a"),
    "MSB": ("msb", "maritime bank", "ngan hang hang hai"),
    "Eximbank": ("exim bank", "exim", "eib", "ngan hang xuat nhap khau"),
    "LPBank": (
        "lp bank",
        "lpb",
        "lien viet post bank",
        "lien viet",
        "ngan hang buu dien lien viet",
        "ngan hang loc phat",
    ),
    "Nam A Bank": ("nam a bank", "nab", "ngan hang nam a"),
    "Bac A Bank": ("bac a bank", "bab", "ngan hang bac a"),
    "PVcomBank": ("pvcom bank", "pvcom", "ngan hang dai chung"),
    "ABBANK": ("ab bank", "abb", "ngan hang an binh"),
    "KienlongBank": ("kien long bank", "kienlong", "klb", "ngan hang kien long"),
    "BaoViet Bank": ("bao viet bank", "bvb", "ngan hang bao viet"),
    "Vietbank": ("vietbank", "ngan hang viet nam thuong tin"),
    "VietABank": ("viet a bank", "ngan hang viet a"),
    "BVBank": ("bv bank", "viet capital bank", "ngan hang ban viet"),
    "NCB": ("ncb", "ngan hang quoc dan"),
    "SCB": ("scb", "ngan hang sai gon"),
    "Saigonbank": ("saigon bank", "sgb", "ngan hang sai gon cong thuong"),
    "PGBank": ("pg bank", "pgb", "ngan hang thinh vuong va phat trien"),
    "GPBank": ("gp bank", "gpb", "ngan hang dau khi toan cau"),
    "MBV": ("mbv", "ocean bank", "ngan hang dai duong"),
    "VCBNeo": ("vcbneo", "vcb neo", "cb bank", "ngan hang xay dung"),
    "Vikki": ("vikki", "vikki bank", "dong a bank", "ngan hang dong a"),
    "Cake": ("cake", "cake by vpbank"),
    "Timo": ("timo",),
    "HSBC": ("hsbc",),
    "Shinhan": ("shinhan", "shinhan bank", "shinhanbank"),
    "Standard Chartered": ("standard chartered",),
    "Woori": ("woori", "woori bank"),
    "UOB": ("uob",),
    "MoMo": ("momo", "vi momo"),
    "ZaloPay": ("zalo pay", "vi zalopay"),
    "Viettel Money": ("viettel money", "viettel pay", "vi viettel"),
    "VNPT Money": ("vnpt money", "vnpt pay"),
    "ShopeePay": ("shopee pay", "airpay"),
    "VNPay": ("vnpay", "vn pay"),
}


def _bank_tables() -> tuple[dict[str, str], re.Pattern[str]]:
    """Spelling without spaces -> canonical name, and one regex matching every spelling."""
    by_key: dict[str, str] = {}
    patterns: list[str] = []
    for canonical, spellings in _BANK_SPELLINGS.items():
        for spelling in (canonical.lower(), *spellings):
            variants = [spelling]
            if spelling.startswith("ngan hang "):  # "ngân hàng X" is also written "NH X"
                variants.append("nh " + spelling.removeprefix("ngan hang "))
            for variant in variants:
                by_key[variant.replace(" ", "")] = canonical
                patterns.append(r"\s*".join(re.escape(word) for word in variant.split()))
    # Longest first, so that "nh sai gon thuong tin" (Sacombank) wins over "nh sai gon" (SCB).
    patterns.sort(key=len, reverse=True)
    return by_key, re.compile(r"(?<![a-z0-9])(?:" + "|".join(patterns) + r")(?![a-z0-9])")


_BANK_BY_KEY, _BANK_RE = _bank_tables()


def _bank_mentions(text: str) -> list[tuple[str, int, int]]:
    """(canonical name, start, end) of each bank named in ``text``."""
    folded = _fold_aligned(text)
    return [
        (_BANK_BY_KEY[m[0].replace(" ", "")], m.start(), m.end()) for m in _BANK_RE.finditer(folded)
    ]


def find_banks(text: str) -> list[str]:
    """Canonical names of the banks and e-wallets named in ``text``, in order, no duplicates."""
    return list(dict.fromkeys(name for name, _, _ in _bank_mentions(clean_text(text))))


_ACCOUNT_MIN_DIGITS, _ACCOUNT_MAX_DIGITS = 6, 19
_DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[ .\-]?\d)*(?!\d)")
# A number written like money is not an account: 5.000.000 or 5000000đ / 5tr / 5 triệu.
_MONEY_GROUPING = re.compile(r"\d{1,3}(?:\.\d{3})+")
_MONEY_UNIT_AFTER = re.compile(
    r"\s*(?:đ|₫|vn[dđ]|k\b|tr\b|triệu|nghìn|ngàn|tỷ|tỉ|củ)", re.IGNORECASE
)


def _account_runs(text: str) -> list[tuple[str, int, int]]:
    """(digits, start, end) of each run of digits that can be an account number."""
    runs = []
    for m in _DIGIT_RUN.finditer(text):
        if _MONEY_GROUPING.fullmatch(m[0]) or _MONEY_UNIT_AFTER.match(text, m.end()):
            continue
        # Too long as one run: maybe several numbers separated by spaces ("0912345678 0987654321").
        pieces = [(m[0], m.start())]
        if len(re.sub(r"\D", "", m[0])) > _ACCOUNT_MAX_DIGITS:
            pieces = [(p.group(), m.start() + p.start()) for p in re.finditer(r"\S+", m[0])]
        for piece, start in pieces:
            digits = re.sub(r"\D", "", piece)
            if _ACCOUNT_MIN_DIGITS <= len(digits) <= _ACCOUNT_MAX_DIGITS:
                runs.append((digits, start, start + len(piece)))
    return runs


def _find_accounts(text: str) -> list[tuple[BankAccount, int, int]]:
    banks = _bank_mentions(text)
    found = []
    for digits, start, end in _account_runs(text):
        # Each number goes with the nearest bank named ("VCB 0123456 và MB 0987654321").
        bank = min(
            banks,
            key=lambda b: b[1] - end if b[1] >= end else start - b[2],
            default=None,
        )
        found.append((BankAccount(digits, bank[0] if bank else None, text[start:end]), start, end))
    return found


def find_accounts(text: str) -> list[BankAccount]:
    """Every account number (6-19 digits, separators allowed) in ``text``, each with the bank
    named nearest to it, if any. Numbers written as money (``5.000.000``, ``500000đ``) are skipped;
    phone numbers are not, because many banks and every e-wallet use one as the account number."""
    accounts: dict[str, BankAccount] = {}
    for account, _, _ in _find_accounts(clean_text(text)):
        if account.number not in accounts or accounts[account.number].bank is None:
            accounts[account.number] = account
    return list(accounts.values())


# --------------------------------------------------------------------------------------------
# Links and app names
# --------------------------------------------------------------------------------------------

# Defanged forms that security people and careful residents write: hxxp://, abc[.]vn, abc(dot)vn.
_DEFANGED = re.compile(
    r"(?P<scheme>hxxp(?=s?(?:\[:\]|:)))|(?P<dot>[\[({]\s*(?:\.|dot)\s*[\])}])|(?P<colon>\[:\])",
    re.IGNORECASE,
)
_LINK = re.compile(
    r"(?P<email>(?<![\w.+\-])[\w.+\-]+@(?:[\w\-]+\.)+[\w\-]+)"
    r"|(?P<url>(?<![\w.@\-])(?:[a-z][a-z0-9+.\-]*://)?(?:[^\s/@:]{1,64}@)?(?:[\w\-]+\.)+[\w\-]+\.?"
    r"(?::\d{1,5})?(?:[/?#][^\s<>\"'`]*)?)",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\"…"
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?")
# Without a scheme, "tp.hcm" or "v.v" must not become links: the last label has to be a country
# code (two letters), an IDN TLD, or one of these generic TLDs (common ones and scam favourites).
_BARE_TLDS = frozenset(
    {"com", "net", "org", "info", "biz", "xyz", "top", "online", "site", "shop", "store", "app",
     "club", "live", "vip", "link", "asia", "pro", "tech", "website", "space", "fun", "icu", "buzz",
     "cfd", "sbs", "click", "cyou", "bond", "win", "bet", "life", "world", "today", "work", "lol",
     "quest", "rest", "monster", "email", "group", "mobi", "name", "cloud", "dev", "page", "blog",
     "news", "ltd", "inc", "company", "services", "support", "help", "finance", "money", "exchange",
     "trade", "capital", "bank", "digital", "agency", "market", "games", "game", "gov", "edu",
     "int", "mil"}
)  # fmt: skip
_PLATFORM_HOSTS = {
    "m.facebook.com": "facebook.com",
    "web.facebook.com": "facebook.com",
    "mbasic.facebook.com": "facebook.com",
    "fb.com": "facebook.com",
    "telegram.me": "t.me",
    "telegram.dog": "t.me",
    "m.youtube.com": "youtube.com",
    "twitter.com": "x.com",
    "mobile.twitter.com": "x.com",
    "m.tiktok.com": "tiktok.com",
}
# Hosts where the first path segment names the account (usernames: case-insensitive) ...
_PROFILE_HOSTS = frozenset(
    {"facebook.com", "t.me", "zalo.me", "tiktok.com", "instagram.com", "youtube.com", "x.com"}
)
_PROFILE_CONTAINERS = frozenset({"groups", "pages", "people", "g", "c", "channel", "user", "s"})
# ... and link shorteners, whose codes are case-sensitive.
_SHORTENERS = frozenset(
    {"bit.ly", "tinyurl.com", "goo.gl", "t.co", "is.gd", "cutt.ly", "rb.gy", "shorturl.at", "s.id",
     "tiny.cc", "youtu.be", "vm.tiktok.com", "fb.me", "bitly.com", "short.gy", "surl.li"}
)  # fmt: skip
# Generic words before an app or page name: "app ABC Invest" is the app "ABC Invest".
_APP_NOISE = re.compile(
    r"^(?:(?:ung dung|app|apps|trang web|trang|website|web|fanpage|page|nhom|group|kenh|ten)\s+)+"
)
_SEGMENT_SEPARATORS = re.compile(r"[\n;,]+")


def _defang(text: str) -> tuple[str, list[int]]:
    def repl(m: re.Match[str]) -> str:
        if m["scheme"]:
            return "http"
        return "." if m["dot"] else ":"

    return _rewrite(text, _DEFANGED, repl)


def _is_ipv4(host: str) -> bool:
    labels = host.split(".")
    return len(labels) == 4 and all(
        label.isascii() and label.isdigit() and int(label) <= 255 for label in labels
    )


def _ascii_host(host: str, *, had_scheme: bool) -> str | None:
    host = host.rstrip(".").removeprefix("www.")
    if _is_ipv4(host):
        return host
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except (UnicodeError, ValueError):
        return None
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        return None
    tld = labels[-1]
    if tld.startswith("xn--"):
        return ascii_host
    if not tld.isalpha():
        return None
    if not had_scheme and len(tld) != 2 and tld not in _BARE_TLDS:
        return None
    return ascii_host


def _platform_value(host: str, path: str, query: str) -> str:
    """The host, or on a social network / shortener the host plus the account or short code."""
    segments = [s for s in path.split("/") if s]
    if not segments:
        return host
    first = segments[0]
    if host in _SHORTENERS:
        return f"{host}/{first}"
    if host not in _PROFILE_HOSTS:
        return host
    if host == "facebook.com" and first.lower() == "profile.php":
        ids = parse_qs(query).get("id", [])
        return f"{host}/profile.php?id={ids[0]}" if ids and ids[0].isdigit() else host
    if host == "t.me" and (first.startswith("+") or first.lower() == "joinchat"):
        return f"{host}/{'/'.join(segments[:2])}"  # invite hashes are case-sensitive
    kept = segments[:2] if first.lower() in _PROFILE_CONTAINERS else segments[:1]
    return f"{host}/{'/'.join(kept).lower()}"


def _link_value(candidate: str) -> str | None:
    """Search value of one link candidate (already defanged), or None if it is no link."""
    candidate = candidate.rstrip(_TRAILING_PUNCTUATION)
    if "@" in candidate and "/" not in candidate:
        local, _, domain = candidate.rpartition("@")
        host = _ascii_host(domain, had_scheme=False)
        return f"{local.lower()}@{host}" if local and host else None
    had_scheme = "://" in candidate
    try:
        parts = urlsplit(candidate if had_scheme else "http://" + candidate)
        hostname = parts.hostname
    except ValueError:
        return None
    if not hostname:
        return None
    host = _ascii_host(hostname, had_scheme=had_scheme)
    if host is None:
        return None
    host = _PLATFORM_HOSTS.get(host, host)
    return _platform_value(host, parts.path, parts.query)


def _link_matches(text: str) -> list[tuple[str, int, int]]:
    """(value, start, end in ``text``) of each link or e-mail address in a free text."""
    defanged, origin = _defang(text)
    found = []
    for m in _LINK.finditer(defanged):
        raw = m[0].rstrip(_TRAILING_PUNCTUATION)
        value = _link_value(raw)
        if value is not None:
            start, end = _span_in_original(origin, m.start(), m.start() + len(raw), len(text))
            found.append((value, start, end))
    return found


def link_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each link or e-mail address in a free text, as written there (defanged
    ones included): where a message must keep Telegram from making a tappable link."""
    return [(start, end) for _value, start, end in _link_matches(text)]


def display_link(value: str) -> str:
    """A link search value with its host IDNA-decoded, for showing: ``xn--vit-nam-zv4c.vn`` ->
    ``việt-nam.vn``. (Mind homographs: show the value too when it differs.)"""
    host, sep, rest = value.partition("/")
    local, at, domain = host.rpartition("@")
    try:
        decoded = domain.encode("ascii").decode("idna")
    except (UnicodeError, ValueError):
        return value
    return f"{local}{at}{decoded}{sep}{rest}"


def normalize_app(text: str) -> str | None:
    """Search value of an app, page or group name: accentless, casefolded, without spaces,
    punctuation or a leading generic word (``"App ABC-Invest"`` -> ``"abcinvest"``)."""
    folded = strip_accents(clean_text(text)).casefold()
    key = search_key(_APP_NOISE.sub("", folded)) if folded else ""
    return key or None


# --------------------------------------------------------------------------------------------
# Money
# --------------------------------------------------------------------------------------------

_SCALES = {
    "k": 10**3, "nghin": 10**3, "ngan": 10**3, "thousand": 10**3,
    "tr": 10**6, "trieu": 10**6, "cu": 10**6, "million": 10**6, "mil": 10**6,
    "ty": 10**9, "ti": 10**9, "billion": 10**9, "bn": 10**9,
}  # fmt: skip
_HUNDREDS = frozenset({"tram", "hundred"})
_IGNORED_WORDS = frozenset(
    # currency
    {"d", "dong", "vnd", "vn", "vnđ"}
    # "about", "lost", "in total", "the amount is" ...
    | {"khoang", "tam", "gan", "hon", "tren", "mat", "la", "chung", "tong", "cong", "het", "tien"}
    | {"so", "bi", "lua", "da", "chuyen", "about", "around", "approx", "approximately", "total"}
    | {"lost", "nearly", "almost", "over"}
)
_AMOUNT_WORDS = sorted({*_SCALES, *_HUNDREDS, *_IGNORED_WORDS}, key=len, reverse=True)
_AMOUNT_TOKEN = re.compile(
    r"(?P<num>[0-9]+(?:[.,][0-9]+)*(?: [0-9]{3}(?![0-9]))*)"  # "1 500 000" groups too
    r"|(?P<word>[a-z]+)"
    r"|(?P<skip>[\s~≈:=*()₫/]+)"
)
_NEGATIVE = re.compile(r"[-−–]\s*[0-9]")
_MAX_AMOUNT = 10**13


def _split_word(word: str) -> list[str] | None:
    """Split a run of letters into known words, longest first: ``"kd"`` -> ``["k", "d"]``."""
    parts = []
    while word:
        known = next((w for w in _AMOUNT_WORDS if word.startswith(w)), None)
        if known is None:
            return None
        parts.append(known)
        word = word[len(known) :]
    return parts


def _parse_number(raw: str) -> Decimal | None:
    """A number written with '.', ',' or spaces, by the rules in ``parse_amount``."""
    text = raw.replace(" ", "")
    if len(re.sub(r"\D", "", text)) > 18:
        return None
    dots, commas = text.count("."), text.count(",")
    integer, fraction = text, ""
    if dots and commas:
        decimal_sep = "." if text.rfind(".") > text.rfind(",") else ","
        integer, fraction = text.rsplit(decimal_sep, 1)
        if decimal_sep in integer:
            return None
        groups = integer.split("," if decimal_sep == "." else ".")
    elif dots or commas:
        sep = "." if dots else ","
        groups = text.split(sep)
        if len(groups) == 2 and (len(groups[1]) != 3 or groups[0] == "0"):
            integer, fraction, groups = groups[0], groups[1], [groups[0]]
    else:
        groups = [text]
    if len(groups) > 1 and not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
        return None
    integer = "".join(groups)
    if len(integer) > 1 and integer.startswith("0"):
        return None  # "0912345678" is a phone number, not an amount
    try:
        return Decimal(f"{integer}.{fraction}" if fraction else integer)
    except InvalidOperation:
        return None


def parse_amount(text: str) -> int | None:
    """Money in whole dong, or None.

    Accepted: a number, optionally with scale words — ``k``/``nghìn``/``ngàn`` (10^3),
    ``tr``/``triệu``/``củ`` (10^6), ``tỷ``/``tỉ`` (10^9), ``trăm`` (100), and English
    thousand/million/billion — and currency words (``đ``, ``₫``, ``VND``, ``đồng``) and a few filler
    words ("khoảng", "mất", "about") anywhere. Accents, case and spaces do not matter.

    How a number is read (Vietnamese writes ``.`` for thousands and ``,`` for decimals; English
    the other way round; residents use both):

    - both ``.`` and ``,``: the last one is the decimal separator (``1.500.000,00``,
      ``2,500.5 triệu``);
    - one kind used several times: thousands (``1.500.000``, ``1,500,000``), in groups of 3;
    - one separator used once: thousands if exactly 3 digits follow (``1.500`` = 1500,
      ``500,000`` = 500000), else decimal (``1,5 triệu``, ``1.5tr``, ``2,25 tỷ``);
    - spaces may group thousands (``1 500 000``);
    - a leading zero (``0912345678``) is not an amount.

    Compounds add up, largest scale first: ``3 tỉ 200 triệu`` = 3,200,000,000; ``1 nghìn tỷ``
    = 10^12. A bare number after the last scale is spoken shorthand for its leading digits:
    ``1 triệu 2`` = ``1tr2`` = 1,200,000, ``1tr25`` = 1,250,000, ``2 tỷ 300`` = 2,300,000,000
    (at most 3 digits); ``1 triệu 2 trăm`` = 1,200,000 likewise.

    Not parsed (None): no number, unknown words (``100 USD``: not dong), negative amounts, ranges
    (``1-2 triệu``), zero, fractions of a dong (``1,5`` alone), more than 10^13 dong.
    """
    if len(text) > 200 or _NEGATIVE.search(text):
        return None
    folded = strip_accents(clean_text(text)).casefold()
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(folded):
        m = _AMOUNT_TOKEN.match(folded, pos)
        if m is None:
            return None
        pos = m.end()
        if m["num"]:
            tokens.append(("num", m["num"]))
        elif m["word"]:
            words = _split_word(m["word"])
            if words is None:
                return None
            tokens.extend(("word", w) for w in words if w not in _IGNORED_WORDS)
    return _evaluate_amount(tokens)


def _evaluate_amount(tokens: list[tuple[str, str]]) -> int | None:
    total = Decimal(0)
    current: Decimal | None = None
    current_raw = ""  # digits of a bare trailing number, for the "1 triệu 2" shorthand
    hundreds = False
    last_scale: int | None = None
    for kind, token in tokens:
        if kind == "num":
            if current is not None:
                return None  # two numbers in a row
            current = _parse_number(token)
            if current is None:
                return None
            current_raw, hundreds = token, False
        elif token in _HUNDREDS:
            if current is None or hundreds:
                return None
            current, hundreds = current * 100, True
        else:
            scale = _SCALES[token]
            if current is None:
                # "1 nghìn tỷ": a larger scale multiplies everything so far.
                if last_scale is None or scale <= last_scale:
                    return None
                total *= scale
            else:
                if last_scale is not None and scale >= last_scale:
                    return None
                total += current * scale
            current, last_scale = None, scale
    if current is not None:
        if last_scale is None:
            total = current
        elif hundreds:
            total += current * last_scale / 1000
        elif current_raw.isdigit() and len(current_raw) <= 3:
            total += current * last_scale / 10 ** len(current_raw)
        else:
            return None
    if last_scale is None and current is None:
        return None
    if total != total.to_integral_value() or not 0 < total <= _MAX_AMOUNT:
        return None
    return int(total)


# --------------------------------------------------------------------------------------------
# Questionnaire answers and /check queries
# --------------------------------------------------------------------------------------------


def _phone_indicators(text: str) -> list[Indicator]:
    matches = _phone_matches(text)
    found = [Indicator("phone", e164, text[start:end].strip()) for e164, start, end in matches]
    # Keep what looks like a number but did not parse ("0912 345", "113x") — never lose it.
    leftover = text
    for _, start, end in reversed(matches):
        leftover = leftover[:start] + " " + leftover[end:]
    if not found or re.search(r"\d(?:[\s.\-]?\d){3}", leftover):
        found.append(_unparsed("phone", text))
    return found


def _account_indicators(text: str) -> list[Indicator]:
    accounts = find_accounts(text)
    if not accounts:
        banks = find_banks(text)
        return [_unparsed("account", text, bank=banks[0] if banks else None)]
    return [Indicator("account", a.number, a.display, bank=a.bank) for a in accounts]


def _link_or_app_indicators(text: str) -> list[Indicator]:
    # One answer may list several: "abc.vn, Zalo ABC Invest; t.me/xyz". A part holding links
    # gives those links; a part holding none is an app or page name.
    found: list[Indicator] = []
    for part in _SEGMENT_SEPARATORS.split(text):
        part = clean_text(part)
        if not part:
            continue
        links = _link_matches(part)
        if links:
            found.extend(Indicator("link", value, part[start:end]) for value, start, end in links)
        else:
            value = normalize_app(part)
            found.append(Indicator("app", value, part) if value else _unparsed("app", part))
    return found


def _amount_indicators(text: str) -> list[Indicator]:
    amount = parse_amount(text)
    if amount is not None:
        return [Indicator("amount", str(amount), clean_text(text))]
    # "lần 1: 5 triệu; lần 2: 10 triệu" -> several amounts, if every part is one.
    parts = [clean_text(p) for p in re.split(r"[\n;+]+", text) if clean_text(p)]
    amounts = [parse_amount(p) for p in parts]
    if len(parts) > 1 and all(a is not None for a in amounts):
        return [Indicator("amount", str(a), p) for a, p in zip(amounts, parts, strict=True)]
    return [_unparsed("amount", text)]


def parse_indicators(kind: str, text: str) -> list[Indicator]:
    """The indicators in a resident's answer to the question about ``kind``.

    Several may be found in one answer. When nothing parses, one ``parsed=False`` indicator keeps
    the text; for phones, a part that looks like a number but is not valid is kept the same way.
    ``kind`` "link" and "app" are one question ("links or app names"): links found are links, the
    rest app names. Empty text gives []. Unknown kind: ValueError.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown indicator kind {kind!r}; expected one of {KINDS}")
    if not clean_text(text):
        return []
    if kind in ("link", "app"):
        return _dedupe(_link_or_app_indicators(text))
    cleaned = clean_text(text)
    if kind == "phone":
        return _dedupe(_phone_indicators(cleaned))
    if kind == "account":
        return _dedupe(_account_indicators(cleaned))
    return _dedupe(_amount_indicators(text))


def normalize_query(text: str) -> list[Indicator]:
    """Guess what a ``/check`` query is and give every reading worth searching.

    A link or e-mail gives links. Otherwise phone numbers and account numbers are both returned,
    because a number is often both (``0912345678`` is a phone and, at MB or MoMo, an account);
    a number written with ``+`` is only a phone. Anything else is searched as an app name.
    """
    cleaned = clean_text(text)
    if not cleaned:
        return []
    links = _link_matches(cleaned)
    if links:
        return _dedupe(Indicator("link", v, cleaned[s:e]) for v, s, e in links)
    found = []
    masked = cleaned
    for e164, start, end in _phone_matches(cleaned):
        found.append(Indicator("phone", e164, cleaned[start:end].strip()))
        if "+" in cleaned[start:end]:
            masked = masked[:start] + " " * (end - start) + masked[end:]
    for account, _, _ in _find_accounts(masked):
        found.append(Indicator("account", account.number, account.display, bank=account.bank))
    if found:
        return _dedupe(found)
    value = normalize_app(cleaned)
    return [Indicator("app", value, cleaned) if value else _unparsed("app", cleaned)]
