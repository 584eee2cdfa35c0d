"""Redaction: every kind is found and named, non-secrets survive, results are stable and hostile input is cheap."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewer.redact import RedactionResult, redact
from tests.test_linear import cpu_time

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

OPENAI_KEY = "sk-proj-Tq8vX2mN5pL9wR3kJ7hG1fD4sA6zC0bV8nM2xK5qW9eR3tY7uI1oP4aS6dF8gH2j"
ANTHROPIC_KEY = "sk-ant-api03-Xy7Kp2Lm9Qr4Tn6Wv8Zb1Cd3Fg5Hj0Ks2Mn4Pq6Rs8Tu0Vw-2Xy4Za6Bc8De0Fg_AA"
PEM_KEY = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
           "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----")
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
PEM_KEY_BASE64 = ("LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVBdTFTVTFMZlZMUEhDb3pNeEgy"
                  "TW80bGdPRWVQek5tMHRSZ2VMZXpWNmZmQXQwZ3VuClZUTHc3b25MUm5ycTAvSXpXN3lXUjdRa3JtQkw3alRLRW41dStx"
                  "S2hid0tmQnN0SXMrYk1ZMlprcDE4Z25UeEsKLS0tLS1FTkQgUlNBIFBSSVZBVEUgS0VZLS0tLS0=")
OPENAI_KEY_BASE64 = ("c2stcHJvai1UcTh2WDJtTjVwTDl3UjNrSjdoRzFmRDRzQTZ6QzBiVjhuTTJ4SzVxVzllUjN0WTd1STFvUDRhUzZk"
                     "RjhnSDJq")
AWS_SECRET = "q8Zr3Kx/Lm2Np7Vt4Ws9Yb6Cd1Fg5Hj0Qe8Rk3Tz"
AZURE_KEY = "NqVwYS81VP7Hb1DX8pPd5khxE3pyIgKpaUnArl63XykWZeiNNCiia3anXn9k3ksu9mI4ROnl89Sm995ytbxAk7=="


@pytest.mark.parametrize("kind, text, secret", [
    ("private_key", f"Here is the deploy key:\n{PEM_KEY}\nthanks", PEM_KEY),
    ("private_key", '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0B'
                    'AQEFAASC\\n-----END PRIVATE KEY-----\\n"}', "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
    ("openai_key", f"client = OpenAI(api_key=\"{OPENAI_KEY}\")", OPENAI_KEY),
    ("openai_key", "OPENAI_API_KEY=sk-4f9Kx2LmQ8rT1vW6yZ3bN7cH0dJ5gP2sA9eU4iO8", "sk-4f9Kx2LmQ8rT1vW6yZ3bN7cH0dJ5gP2sA9eU4iO8"),
    ("anthropic_key", f"export ANTHROPIC_API_KEY={ANTHROPIC_KEY}", ANTHROPIC_KEY),
    ("aws_access_key", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("aws_secret_key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("github_token", "git clone https://ghp_R2d9Xk4Lm7Qp1Zt8Wv3Ns6Yb0Jc5Hf2Ga9Ke4@github.com/acme/repo",
     "ghp_R2d9Xk4Lm7Qp1Zt8Wv3Ns6Yb0Jc5Hf2Ga9Ke4"),
    ("github_token", "GH_TOKEN: github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEF",
     "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEF"),
    ("slack_token", "SLACK_BOT_TOKEN=xoxb-2048123456-4096123456789-Qz8Xw2Lk5Mn7Bv1Cx3Zr9Tp",
     "xoxb-2048123456-4096123456789-Qz8Xw2Lk5Mn7Bv1Cx3Zr9Tp"),
    ("google_api_key", "const url = `https://generativelanguage.googleapis.com/v1?key=AIzaSyD3x9Kq2Lm7Np4Rt8Vw1Zb6Cf0Hj5Gs3Ek`",
     "AIzaSyD3x9Kq2Lm7Np4Rt8Vw1Zb6Cf0Hj5Gs3Ek"),
    ("stripe_key", "stripe.api_key = 'sk_live_51HxYzAbCdEfGhIjKlMnOpQr'", "sk_live_51HxYzAbCdEfGhIjKlMnOpQr"),
    ("jwt", f"session={JWT}", JWT),
    ("bearer_token", "curl -H 'Authorization: Bearer 7f3a9c2e1b8d4f6a0e5c' https://api.example.com",
     "7f3a9c2e1b8d4f6a0e5c"),
    ("url_credentials", "DATABASE_URL=postgresql://app_user:Tr0ub4dor&3@db.internal.example.com:5432/app",
     "app_user:Tr0ub4dor&3"),
    ("password", "DB_PASSWORD=correct-horse-battery-9", "correct-horse-battery-9"),
    ("password", '{"username": "svc-reports", "password": "P@ssw0rd!2024"}', "P@ssw0rd!2024"),
    ("password", "smtp:\n  host: mail.example.com\n  passwd: 'hunter2hunter2'\n", "hunter2hunter2"),
    ("password", "headers = {'x-api-key': 'b7e1c0d9a4f2'}", "b7e1c0d9a4f2"),
    ("password", "client_secret: GOCSPX-4kT9zQ2xW7mL1nB5vC8", "GOCSPX-4kT9zQ2xW7mL1nB5vC8"),
    ("email", "Questions go to priya.natarajan+hr@example.co.uk please.", "priya.natarajan+hr@example.co.uk"),
    ("email", '"text": "Owner:\\npriya@example.com"', "priya@example.com"),
    ("phone", "Call me on +44 20 7946 0958 after 3pm.", "+44 20 7946 0958"),
    ("phone", "US office: (415) 555-0132.", "(415) 555-0132"),
    ("phone", "mobile 555-867-5309 (evenings)", "555-867-5309"),
    ("phone", "tel. 06 12 34 56 78", "06 12 34 56 78"),
    ("phone", "WhatsApp +15551234567", "+15551234567"),
    # formats that once got through
    ("aws_secret_key", f"AWS Access Key ID [None]: xx\nAWS Secret Access Key [None]: {AWS_SECRET}", AWS_SECRET),
    ("slack_token", "SLACK_WEBHOOK=https://hooks.slack.com/services/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",
     "T04AB3CDE/B05FG6HIJ/x9KqL2mN7pR4sT8vW1yZ3bC6"),
    ("password", "smtp:\n  password: |\n    Xk9#mP2$vL7q\n  host: mail.example.com\n", "Xk9#mP2$vL7q"),
    ("password", "DB_PASS=Wq7!zR3#pL9m", "Wq7!zR3#pL9m"),
    ("azure_storage_account_access_key",
     f"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={AZURE_KEY};EndpointSuffix=core.windows.net",
     AZURE_KEY),
    ("basic_auth", "curl -H 'Authorization: Basic YWRtaW46U3VwM3JTM2NyZXQh' https://api.example.com",
     "YWRtaW46U3VwM3JTM2NyZXQh"),
    ("basic_auth", "curl -u deploy:Hunt3r-Pa55 https://ci.example.com/api", "Hunt3r-Pa55"),
    ("huggingface_token", "HF_TOKEN=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", "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"),
    ("gitlab_token", "export GITLAB_TOKEN=glpat-Xy9Kq2Lm7Np4Rt8Vw1Zb", "glpat-Xy9Kq2Lm7Np4Rt8Vw1Zb"),
    ("sendgrid_api_key", "sgMail.setApiKey('SG.Kq2Lm9Np4Rt7Vw1Yb3Cd6F.g0Hj5Ks8Mn2Pq4Rs6Tu8Vw0Xy2Za4Bc6De8Fg0Hi2Jk4')",
     "SG.Kq2Lm9Np4Rt7Vw1Yb3Cd6F.g0Hj5Ks8Mn2Pq4Rs6Tu8Vw0Xy2Za4Bc6De8Fg0Hi2Jk4"),
    ("password", "btw my password is Tr0ub4dor&3, please don't share it", "Tr0ub4dor&3"),
    ("password", "The password for the staging admin account is 'qz7 Lk2 Wp9'.", "qz7 Lk2 Wp9"),
    ("private_key", f"deploy_key_b64: {PEM_KEY_BASE64}", PEM_KEY_BASE64),
    ("openai_key", f"_FALLBACK = \"{OPENAI_KEY_BASE64}\"", OPENAI_KEY_BASE64),
    ("openai_key", f'OPENAI_KEY = ("{OPENAI_KEY[:30]}"\n              "{OPENAI_KEY[30:]}")', OPENAI_KEY[30:]),
    ("anthropic_key", f'const key = "{ANTHROPIC_KEY[:40]}" +\n  "{ANTHROPIC_KEY[40:]}";', ANTHROPIC_KEY[40:]),
    ("openai_key", f"OPENAI_API_KEY={OPENAI_KEY[:40]}\\\n{OPENAI_KEY[40:]}", OPENAI_KEY[40:]),
    ("openai_key", f"here is the key:\n{OPENAI_KEY[:50]}\n{OPENAI_KEY[50:]}\nthanks", OPENAI_KEY[50:]),
    ("secret", '"private_key_id": "3f9a2c7e1b8d4f6a0e5c9b2d7f1a3e8c6b4d2f0a",',
     "3f9a2c7e1b8d4f6a0e5c9b2d7f1a3e8c6b4d2f0a"),
    ("secret", "SESSION_ENCRYPTION_KEY=jqevt0MLaMRTvetw0tESulEETldq8b8Vw2zbJYAx",
     "jqevt0MLaMRTvetw0tESulEETldq8b8Vw2zbJYAx"),
    ("secret", "Twilio API key SID xx with secret 0f6YYIgrCOXa7Rz2q9LmKd4W", "0f6YYIgrCOXa7Rz2q9LmKd4W"),
    ("secret_keyword", '    return password == "Adm1n!Rx82qz"', "Adm1n!Rx82qz"),
    ("secret_keyword", 'static const char db_password[32] = "Cfg#88zLq2Wm";', "Cfg#88zLq2Wm"),
    ("base64_high_entropy_string", 'client = Client("jqevt0MLaMRTvetw0tESulEETldq8b8Vw2zbJYAx-Q7z")',
     "jqevt0MLaMRTvetw0tESulEETldq8b8Vw2zbJYAx-Q7z"),
    ("twilio_api_key", "TWILIO_ACCOUNT_SID=AC3f9a2c7e1b8d4f6a0e5c9b2d7f1a3e8c", "AC3f9a2c7e1b8d4f6a0e5c9b2d7f1a3e8c"),
    ("npm_token", "//registry.npmjs.org/:_authToken=npm_Qz7kX2mL9pR4tV8wY1bN3cF6hJ0sA5dG2eK4",
     "npm_Qz7kX2mL9pR4tV8wY1bN3cF6hJ0sA5dG2eK4"),
    ("groq_key", "GROQ_API_KEY=gsk_aB3dE5fG7hJ9kL2mN4pQ6rS8tU0vW2xY4zA6bC8dE0fG2hJ4kL6mN8",
     "gsk_aB3dE5fG7hJ9kL2mN4pQ6rS8tU0vW2xY4zA6bC8dE0fG2hJ4kL6mN8"),
    ("private_key", "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"ops\"\nP2/56wAAAi4AAAA3aWYtbW9kbntzaWdu\n"
                    "---- END SSH2 ENCRYPTED PRIVATE KEY ----", "P2/56wAAAi4AAAA3aWYtbW9kbntzaWdu"),
    ("private_key", "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nPublic-Lines: 1\nAAAAB3NzaC1yc2EAAAABJQAAAQEA\n"
                    "Private-Lines: 1\nAAABAQCnR2xr9fqk3L\nPrivate-MAC: 5a1b2c3d4e5f", "AAABAQCnR2xr9fqk3L"),
])
def test_each_kind_is_replaced_and_counted(kind, text, secret):
    result = redact(text)
    assert secret not in result.text
    assert f"[REDACTED:{kind}]" in result.text
    assert result.counts == {kind: 1}


def test_password_rule_keeps_the_key_and_structure():
    assert redact('{"password": "hunter2", "user": "bob"}').text == '{"password": "[REDACTED:password]", "user": "bob"}'
    assert redact("db:\n  password: s3cr3t!\n  host: db1").text == "db:\n  password: [REDACTED:password]\n  host: db1"
    assert redact("API_KEY=abc123").text == "API_KEY=[REDACTED:password]"


def test_bare_values_keep_an_ampersand_unless_a_query_parameter_follows():
    assert redact("DATABASE_PASSWORD=Tr0ub4dor&3").text == "DATABASE_PASSWORD=[REDACTED:password]"
    assert (redact("https://api.example.com/v1?token=Zx8Kq2Lm9Np4&user=bob").text
            == "https://api.example.com/v1?token=[REDACTED:password]&user=bob")


def test_structure_around_a_block_scalar_or_a_split_key_is_kept():
    assert (redact("db:\n  password: |\n    Xk9#mP2$vL7q\n    second-line\n  host: db1\n").text
            == "db:\n  password: |\n    [REDACTED:password]\n  host: db1\n")
    assert (redact(f'KEY = ("{OPENAI_KEY[:30]}"\n       "{OPENAI_KEY[30:]}")\nprint(KEY)').text
            == 'KEY = ("[REDACTED:openai_key]")\nprint(KEY)')


def test_url_credentials_keep_scheme_and_host():
    assert (redact("redis://default:s3cr3tpass@cache.example.com:6379/0").text
            == "redis://[REDACTED:url_credentials]@cache.example.com:6379/0")


def test_specific_kinds_win_over_the_generic_password_rule():
    result = redact(f'api_key = "{OPENAI_KEY}"\ntoken: {JWT}')
    assert result.counts == {"openai_key": 1, "jwt": 1}
    assert result.text == 'api_key = "[REDACTED:openai_key]"\ntoken: [REDACTED:jwt]'


NON_SECRETS = """\
model: gpt-4o-2024-08-06
fallback: anthropic.claude-3-5-sonnet-20241022-v2:0
temperature: 0.2
top_p: 0.95
max_tokens: 4096
tokens_per_minute: 90000
version: 3.4.1
released: 2024-09-30
run_at: 2024-01-15 10:30:00
report_date: 15.01.2024 09:00
years: 2022 2023 2024
budget_eur: 180000
order: #58213
ip: 10.20.30.40
api_key: ${OPENAI_API_KEY}
token: ${{ secrets.GITHUB_TOKEN }}
password: "{{ vault_db_password }}"
secret: <your-secret-here>
litellm_key: os.environ/AZURE_OPENAI_KEY
permissions:
  id-token: write
client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])
session = connect(password=settings.db_password, token=get_token())
headers = {"Authorization": f"Bearer {token}"}
Bearer authentication is described in RFC 6750.
langwatchApiKey: string;
const smitheryApiKey = await password({
const openai = new OpenAI({ apiKey: openaiKey });
echo "api_key = \\"$LLM_API_KEY\\"" >> config.toml
api_key: fake-key
client = genai.Client(api_key=GOOGLE_API_KEY)
openai.api_key = API_KEY
KEY="ai/evals/runs/$(date -u +%Y-%m-%dT%H-%M-%SZ)-${GITHUB_SHA::10}.json"
docker run -u 1000:1000 app
shared-key: 'v2-rust-backend'
model_key: claude-3-5-sonnet-20241022
cache_key: 5d41402abc4b2a76b9719d911017c592
"instanceId": "620f0d7e3114cb344761d7d45a21ef2a32096f91d8696e7057756042e1999e2c"
"webhookId": "9a8b7c6d-2222-4e5f-8a9b-1c2d3e4f5a6b"
git -c user.email='noreply@anthropic.com' commit; git clone git@github.com:acme/repo.git
the password is incorrect, try again.
Basic authentication is described in RFC 7617.
"jsCode": "import pytest\\n@pytest.mark.parametrize('x', [1])\\ndef test(x): ..."
"""


def test_non_secrets_are_left_alone():
    result = redact(NON_SECRETS)
    assert result.text == NON_SECRETS
    assert result.counts == {}


def test_redaction_is_idempotent_on_realistic_text():
    text = (f"{PEM_KEY}\nOPENAI_API_KEY={OPENAI_KEY}\nAuthorization: Bearer {JWT}\n"
            "postgres://admin:pw1234@db.example.com/x\npassword: hunter2\nmail bob@example.com or +1 415 555 0132\n"
            "numbers 01 23 45 67 89 01 23 45 67 89 and 555 123 4567 1234")
    once = redact(text)
    twice = redact(once.text)
    assert twice.text == once.text
    assert twice.counts == {}
    assert once.counts["phone"] >= 2


def test_result_is_a_pydantic_model():
    result = redact("nothing to see")
    assert isinstance(result, RedactionResult)
    assert result.model_dump() == {"text": "nothing to see", "counts": {}}


# --- properties ---------------------------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits


def _token(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size)


openai_keys = st.builds(lambda prefix, head, digit, tail: prefix + head + digit + tail,
                        st.sampled_from(["sk-", "sk-proj-", "sk-svcacct-"]), _token(ALNUM + "_-", 30),
                        st.sampled_from(string.digits), _token(ALNUM + "_-", 17))
provider_keys = st.one_of(
    openai_keys,
    _token(ALNUM + "_-", 60).map(lambda s: "sk-ant-api03-" + s),
    _token(string.ascii_uppercase + string.digits, 16).map(lambda s: "AKIA" + s),
    _token(ALNUM, 36).map(lambda s: "ghp_" + s),
    _token(ALNUM + "_", 59).map(lambda s: "github_pat_" + s),
    st.builds(lambda a, b, c: f"xoxb-{a}-{b}-{c}", _token(string.digits, 10), _token(string.digits, 13), _token(ALNUM, 24)),
    _token(ALNUM + "_-", 35).map(lambda s: "AIza" + s),
    st.builds(lambda mode, s: f"sk_{mode}_{s}", st.sampled_from(["live", "test"]), _token(ALNUM, 24)),
    st.builds(lambda letters, upper: "hf_" + letters + upper, _token(string.ascii_letters, 33),
              _token(string.ascii_uppercase, 1)),
    _token(ALNUM + "_-", 20).map(lambda s: "glpat-" + s),
    st.builds(lambda a, b: f"SG.{a}.{b}", _token(ALNUM + "_-", 22), _token(ALNUM + "_-", 43)),
)
emails = st.builds(lambda first, local, label, tld: f"{first}{local}@{label}.{tld}",
                   st.sampled_from(string.ascii_lowercase), st.text(alphabet=ALNUM + "._%+-", max_size=20),
                   st.text(alphabet=ALNUM, min_size=1, max_size=12), st.text(alphabet=string.ascii_lowercase, min_size=2,
                                                                             max_size=6))
international_phones = st.builds(
    lambda cc, groups, sep: "+" + cc + sep + sep.join(groups),
    st.integers(1, 999).map(str), st.lists(_token(string.digits, 3), min_size=3, max_size=4), st.sampled_from([" ", "-"]))
national_phones = st.one_of(
    st.builds(lambda a, b, c: f"({a}) {b}-{c}", _token(string.digits, 3), _token(string.digits, 3), _token(string.digits, 4)),
    st.builds(lambda a, b, c, sep: f"{a}{sep}{b}{sep}{c}", _token(string.digits, 3), _token(string.digits, 3),
              _token(string.digits, 4), st.sampled_from([" ", "-", "."])),
    st.builds(lambda a, b: f"0{a} {b}", _token(string.digits, 3), _token(string.digits, 7)),
    st.lists(_token(string.digits, 2), min_size=4, max_size=4).map(lambda gs: "06 " + " ".join(gs)),
)
secrets = st.one_of(provider_keys, emails, international_phones, national_phones)
separators = st.sampled_from([" ", "\n"])


@FAST
@given(before=st.text(max_size=40), left=separators, secret=secrets, right=separators, after=st.text(max_size=40))
def test_planted_secret_never_survives(before, left, secret, right, after):
    assert secret not in redact(before + left + secret + right + after).text


@FAST
@given(st.text(alphabet=st.characters(exclude_categories=())))
def test_never_raises_and_is_idempotent_on_any_text(text):
    once = redact(text)
    twice = redact(once.text)
    assert twice.text == once.text and twice.counts == {}


@FAST
@given(st.lists(st.one_of(secrets, st.sampled_from(["password: ", "token=", "Bearer ", "postgres://u:", "@", "+", "0",
                                                    "2024-01-15", " ", "\n", '"', "-----BEGIN PRIVATE KEY-----"])),
                max_size=8).map("".join))
def test_idempotent_on_secret_dense_text(text):
    once = redact(text)
    assert redact(once.text).text == once.text


# --- hostile input ------------------------------------------------------------------------------------------

ADVERSARIAL_UNITS = ["a", "sk-", "eyJa.", "a@", "1 ", "012 ", "+1 ", "-----BEGIN PRIVATE KEY-----", "password=", 'token: "',
                     "Bearer ", "a://a:", "x_token", "aws_secret_access_key="]


def _megabyte_of(units: list[str]) -> str:
    share = 1_000_000 // len(units)
    return "".join((unit * (share // len(unit) + 1))[:share] for unit in units)


@pytest.mark.parametrize("units, kinds", [(["a"], set()), (["1 "], set()), (["a@"], set()),
                                          (ADVERSARIAL_UNITS, {"private_key", "password", "phone"})],
                         ids=["letters", "digit-groups", "at-signs", "mixed"])
def test_one_megabyte_of_adversarial_input_finishes(units, kinds):
    result = redact(_megabyte_of(units))
    assert set(result.counts) == kinds


@given(text=st.lists(st.one_of(secrets, separators, st.text(max_size=12),
                               st.sampled_from(["password: ", "api_key=", "Bearer ", "://u:", "@", "+44 ", "AKIA",
                                                "sk-", "GH", "Key", "-----BEGIN ", "eyJ", "xox", "AIza"])),
                     max_size=12).map("".join))
@settings(max_examples=400, deadline=None)
def test_skipping_rules_by_their_literals_never_changes_the_result(text):
    from reviewer import redact as module

    with_prefilter = redact(text)
    original = module._Rule.may_match
    module._Rule.may_match = lambda self, lowered: True
    try:
        assert redact(text) == with_prefilter
    finally:
        module._Rule.may_match = original


# Shapes that once cost quadratic or cubic time somewhere: detect-secrets' keyword and assignment patterns, the
# key = value rule, block scalars, split keys, base64. Compared with itself at 8x the size, as tests/test_linear.py
# does: linear gives about 1x per KB, quadratic 8x.
GROWTH_UNITS = ["password", "api_key: ", "a=", '"', "`", "'a", "key" + " " * 40, "sl_key" + " " * 20, "sk-", "eyJa.",
                "//", "-u a:", "Basic ", "password: |\n", '"a"\n"', "sk-abc\nabcdefgh12\n", "LS0t", "Ab1" * 14 + "\n",
                "my password is ", "'a' == ", 'secret("', "secret ", "a\\\n"]


@pytest.mark.parametrize("unit", GROWTH_UNITS)
def test_redaction_time_per_kb_stays_flat_as_hostile_text_grows_8x(unit):
    small, large = (unit * (12_500 // len(unit) + 1))[:12_500], (unit * (100_000 // len(unit) + 1))[:100_000]
    per_kb_small = cpu_time(lambda: redact(small)) / 12.5
    per_kb_large = cpu_time(lambda: redact(large)) / 100
    assert per_kb_large <= 3 * per_kb_small + 1e-4, \
        f"{unit!r}: {per_kb_small * 1e3:.2f} -> {per_kb_large * 1e3:.2f} ms/KB"
