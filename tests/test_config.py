import pytest

from config import DEV_SECRET_KEY, load_config


def test_environment_variables_override_the_config_class():
    settings = load_config(
        "development",
        {
            "CASEAPP_DATABASE_URL": "postgresql+psycopg://u@db/caseapp",
            "CASEAPP_SECRET_KEY": "k" * 40,
            "CASEAPP_UPLOAD_DIR": "/srv/uploads",
            "CASEAPP_CASES_PER_PAGE": "25",
            "CASEAPP_STALE_CASE_DAYS": "30",
        },
    )
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/caseapp"
    assert settings["SECRET_KEY"] == "k" * 40
    assert settings["UPLOAD_DIR"] == "/srv/uploads"
    assert settings["CASES_PER_PAGE"] == 25


def test_default_database_is_a_sqlite_file_under_instance():
    settings = load_config("development", {})
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert settings["SQLALCHEMY_DATABASE_URI"].endswith("instance/caseapp.sqlite3")


@pytest.mark.parametrize("key", [None, DEV_SECRET_KEY, "short"])
def test_production_refuses_to_start_without_a_real_secret_key(key):
    environ = {} if key is None else {"CASEAPP_SECRET_KEY": key}
    with pytest.raises(RuntimeError, match="secret key"):
        load_config("production", environ)


def test_production_starts_with_a_real_secret_key():
    settings = load_config("production", {"CASEAPP_SECRET_KEY": "x" * 48})
    assert settings["SESSION_COOKIE_SECURE"] is True


def test_unknown_environment_name_is_an_error():
    with pytest.raises(RuntimeError, match="CASEAPP_ENV"):
        load_config(None, {"CASEAPP_ENV": "staging"})
