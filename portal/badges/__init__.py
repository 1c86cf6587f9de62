"""The live credit badge: /badge/<USCC>.svg, and the HTML snippet an organisation puts on its own website.

The badge shows what the public list shows now (the grade, the data-as-of
date, a link to the credit report). For any code that is not in the list it
is one and the same neutral image, byte for byte and header for header.
"""


def init_app(app):
    from portal.badges import views

    app.register_blueprint(views.bp)
