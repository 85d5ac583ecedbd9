"""The enrolment QR code, drawn on the server.

An SVG in a ``data:`` URI: the Content-Security-Policy allows ``img-src data:`` but no inline
script or style and no third-party origin, and the secret it encodes never leaves this page
(no QR web service, no JavaScript library)."""

import base64
import io

import qrcode
import qrcode.image.svg


def qr_data_uri(text: str) -> str:
    # Error correction M and a quiet-zone border of 4 modules: what phone cameras read fastest.
    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathFillImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=4,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
