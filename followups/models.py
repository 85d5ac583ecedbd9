# Contacts (emails, calls, texts) and persistence scoring arrive with the silence-test and
# contact-capture work; this app owns them.
