"""The top of the house: demo data for local development, loaded by `manage.py load_demo_data`.

Listed last in INSTALLED_APPS; no app imports it. The demo password and TOTP secret live here and are
passed down to each app's `demo.py` as arguments.
"""

PASSWORD = "Demo-pass-2026"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # demo data only; production refuses to load demo data
