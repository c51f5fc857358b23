"""gunicorn's settings, read from the working directory by `make run` and `gunicorn wsgi:app`.

The access log names the path without its query string: the case list's search box and
filters travel there (a client's name typed into the search), and personal data stays out of
logs.
"""

accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
