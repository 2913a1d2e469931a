"""Product illustrations for the demo catalog, drawn with Pillow: a shaded object on a soft backdrop.

`picture(kind, colour)` returns a DISPLAY_SIZE RGB image, the same for the same arguments (no randomness,
no network). Shapes are drawn into masks at twice the size and scaled down, so edges are smooth; shading
is a colour ramp across the object (a cylinder's light side, core shadow and reflected light), shadows are
blurred ellipses on the table line.
"""

from collections.abc import Callable
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFilter

SIZE = 960
AA = 2  # masks are drawn at AA× and scaled down

RGB = tuple[int, int, int]


def hex_rgb(value: str) -> RGB:
    value = value.lstrip("#")
    return tuple(int(value[i : i + 2], 16) for i in (0, 2, 4))


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def lighter(c: RGB, t: float) -> RGB:
    return mix(c, (255, 255, 255), t)


def darker(c: RGB, t: float) -> RGB:
    return mix(c, (20, 16, 24), t)


def ramp(width: int, height: int, stops: list[tuple[float, RGB]], *, vertical: bool = False) -> Image.Image:
    """A width × height image whose colour runs through `stops` (position 0–1, colour) across or down."""
    line = []
    for n in range(256):
        t = n / 255
        for (p0, c0), (p1, c1) in zip(stops, stops[1:], strict=False):
            if p0 <= t <= p1:
                line.append(mix(c0, c1, (t - p0) / (p1 - p0) if p1 > p0 else 0))
                break
        else:
            line.append(stops[-1][1])
    strip = Image.new("RGB", (256, 1) if not vertical else (1, 256))
    strip.putdata(line)
    return strip.resize((max(width, 1), max(height, 1)), Image.Resampling.BILINEAR)


def cylinder(colour: RGB) -> list[tuple[float, RGB]]:
    """Light from the upper left: a bright side, a highlight, the core shadow and a rim of reflected light."""
    return [
        (0.0, lighter(colour, 0.1)),
        (0.22, lighter(colour, 0.38)),
        (0.36, lighter(colour, 0.12)),
        (0.78, darker(colour, 0.35)),
        (1.0, darker(colour, 0.18)),
    ]


@lru_cache(maxsize=8)
def _backdrop(background: RGB) -> Image.Image:
    top, bottom = lighter(background, 0.55), lighter(background, 0.2)
    image = ramp(SIZE, SIZE, [(0, top), (0.68, lighter(background, 0.4)), (1, bottom)], vertical=True)
    # The table: a slightly darker band from the horizon down.
    table = ramp(SIZE, SIZE - 700, [(0, lighter(background, 0.18)), (1, background)], vertical=True)
    image.paste(table, (0, 700))
    return image


class Canvas:
    def __init__(self, background: RGB):
        self.image = _backdrop(background).copy()

    def paint(
        self,
        box: tuple[int, int, int, int],
        fill: RGB | list[tuple[float, RGB]],
        shape: Callable[[ImageDraw.ImageDraw, Callable], None],
        *,
        vertical: bool = False,
    ) -> None:
        """Fill `shape` (drawn by a function given a draw and a scaler) with a flat colour or a ramp over `box`."""
        x0, y0, x1, y1 = box
        mask = Image.new("L", ((x1 - x0) * AA, (y1 - y0) * AA), 0)

        def at(*points):  # canvas coordinates → mask coordinates
            return [((x - x0) * AA, (y - y0) * AA) for x, y in zip(points[::2], points[1::2], strict=True)]

        shape(ImageDraw.Draw(mask), at)
        mask = mask.resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS)
        if isinstance(fill, list):
            layer = ramp(x1 - x0, y1 - y0, fill, vertical=vertical)
        else:
            layer = Image.new("RGB", (x1 - x0, y1 - y0), fill)
        self.image.paste(layer, (x0, y0), mask)

    def _soft(self, cx: int, cy: int, rx: int, ry: int, blur: int, colour: RGB, strength: float) -> None:
        """A blurred ellipse of `colour`, drawn at a quarter size over its own region (blur is the slow part)."""
        margin = blur * 4 * 3
        x0, y0 = max(cx - rx - margin, 0) // 4 * 4, max(cy - ry - margin, 0) // 4 * 4
        x1, y1 = min(cx + rx + margin, SIZE), min(cy + ry + margin, SIZE)
        small = Image.new("L", ((x1 - x0) // 4, (y1 - y0) // 4), 0)
        box = ((cx - rx - x0) / 4, (cy - ry - y0) / 4, (cx + rx - x0) / 4, (cy + ry - y0) / 4)
        ImageDraw.Draw(small).ellipse(box, fill=round(255 * strength))
        mask = small.filter(ImageFilter.GaussianBlur(blur)).resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR)
        self.image.paste(colour, (x0, y0, x1, y1), mask)

    def shadow(self, cx: int, cy: int, rx: int, ry: int, strength: float = 0.35) -> None:
        """A soft contact shadow under the object."""
        self._soft(cx, cy, rx, ry, 6, (40, 32, 40), strength)

    def glow(self, cx: int, cy: int, r: int, colour: RGB, strength: float = 0.6) -> None:
        """Light thrown around a bulb or a flame."""
        self._soft(cx, cy, r, r, 14, colour, strength)


def ellipse(box):
    return lambda d, at: d.ellipse([*at(box[0], box[1]), *at(box[2], box[3])], fill=255)


def polygon(*points):
    return lambda d, at: d.polygon(at(*points), fill=255)


def rounded(box, radius):
    return lambda d, at: d.rounded_rectangle([*at(box[0], box[1]), *at(box[2], box[3])], radius * AA, fill=255)


def seam(box, radius):
    return lambda d, at: d.rounded_rectangle(
        [*at(box[0], box[1]), *at(box[2], box[3])], radius * AA, outline=255, width=4 * AA
    )


def ring(box, width):
    return lambda d, at: d.ellipse([*at(box[0], box[1]), *at(box[2], box[3])], outline=255, width=width * AA)


def _lamp(c: Canvas, colour: RGB) -> None:
    brass = (181, 142, 78)
    c.shadow(480, 792, 170, 26)
    c.glow(480, 560, 260, (255, 236, 190), 0.35)
    c.paint((300, 752, 660, 812), cylinder(brass), ellipse((300, 752, 660, 812)))
    c.paint((462, 420, 498, 790), cylinder(brass), rounded((462, 420, 498, 790), 10))
    c.paint((270, 180, 690, 470), cylinder(colour), polygon(350, 180, 610, 180, 690, 460, 270, 460))
    c.paint((270, 440, 690, 480), darker(colour, 0.25), ellipse((270, 440, 690, 480)))
    c.paint((300, 448, 660, 476), (255, 238, 200), ellipse((300, 448, 660, 476)))


def _pendant(c: Canvas, colour: RGB) -> None:
    c.paint((474, 0, 486, 330), (60, 54, 58), rounded((474, 0, 486, 330), 4))
    c.glow(480, 640, 240, (255, 236, 190), 0.5)
    c.paint(
        (250, 300, 710, 600),
        cylinder(colour),
        lambda d, at: d.pieslice([*at(250, 300), *at(710, 900)], 180, 360, fill=255),
    )
    c.paint((250, 580, 710, 620), darker(colour, 0.3), ellipse((250, 580, 710, 620)))
    c.paint((420, 560, 540, 660), [(0, (255, 250, 230)), (1, (255, 214, 140))], ellipse((420, 560, 540, 660)))


def _candle(c: Canvas, colour: RGB) -> None:
    glass = lighter(colour, 0.15)
    c.shadow(480, 800, 190, 28)
    c.glow(480, 330, 120, (255, 220, 150), 0.55)
    c.paint((300, 400, 660, 820), cylinder(glass), rounded((300, 400, 660, 820), 40))
    c.paint((300, 380, 660, 440), darker(glass, 0.3), ellipse((300, 380, 660, 440)))
    c.paint((330, 392, 630, 432), (247, 240, 226), ellipse((330, 392, 630, 432)))
    c.paint((476, 350, 484, 412), (50, 40, 40), rounded((476, 350, 484, 412), 3))
    c.paint(
        (455, 260, 505, 360), [(0, (255, 250, 220)), (1, (255, 170, 60))], ellipse((455, 260, 505, 360)), vertical=True
    )


def _mug(c: Canvas, colour: RGB) -> None:
    c.shadow(470, 780, 210, 30)
    c.paint((560, 420, 760, 680), cylinder(darker(colour, 0.1)), ring((580, 440, 740, 660), 34))
    c.paint((250, 320, 630, 800), cylinder(colour), rounded((250, 320, 630, 800), 60))
    c.paint((250, 290, 630, 370), lighter(colour, 0.2), ellipse((250, 290, 630, 370)))
    c.paint(
        (272, 302, 608, 360),
        [(0, darker(colour, 0.5)), (1, darker(colour, 0.2))],
        ellipse((272, 302, 608, 360)),
        vertical=True,
    )


def _bowl(c: Canvas, colour: RGB) -> None:
    c.shadow(480, 740, 260, 34)
    c.paint(
        (190, 420, 770, 760),
        cylinder(colour),
        lambda d, at: d.pieslice([*at(190, 120), *at(770, 760)], 0, 180, fill=255),
    )
    c.paint((190, 400, 770, 480), lighter(colour, 0.3), ellipse((190, 400, 770, 480)))
    c.paint(
        (216, 412, 744, 470),
        [(0, darker(colour, 0.35)), (1, lighter(colour, 0.2))],
        ellipse((216, 412, 744, 470)),
        vertical=True,
    )


def _vase(c: Canvas, colour: RGB) -> None:
    c.shadow(480, 810, 170, 26)
    c.paint((420, 150, 540, 420), cylinder(colour), rounded((420, 150, 540, 420), 20))
    c.paint((290, 330, 670, 820), cylinder(colour), ellipse((290, 330, 670, 820)))
    c.paint((410, 135, 550, 175), darker(colour, 0.4), ellipse((410, 135, 550, 175)))


def _cushion(c: Canvas, colour: RGB) -> None:
    c.shadow(480, 770, 290, 38)
    c.paint((210, 250, 750, 770), cylinder(colour), rounded((210, 250, 750, 770), 150))
    c.glow(420, 440, 150, lighter(colour, 0.35), 0.5)
    c.paint((210, 250, 750, 770), darker(colour, 0.2), seam((236, 276, 724, 744), 126))
    c.paint((450, 480, 510, 540), darker(colour, 0.4), ellipse((450, 480, 510, 540)))


def _throw(c: Canvas, colour: RGB) -> None:
    stripe = lighter(colour, 0.6)
    c.shadow(480, 780, 300, 34)
    for n, top in enumerate((600, 470, 340)):
        shade = colour if n % 2 == 0 else darker(colour, 0.12)
        c.paint(
            (200, top, 760, top + 170),
            [(0, lighter(shade, 0.3)), (0.4, shade), (1, darker(shade, 0.3))],
            rounded((200, top, 760, top + 170), 60),
            vertical=True,
        )
        c.paint(
            (200, top, 760, top + 170),
            stripe,
            lambda d, at, t=top: d.rectangle([*at(520, t), *at(560, t + 170)], fill=255),
        )


def _notebook(c: Canvas, colour: RGB) -> None:
    c.shadow(490, 800, 260, 30)
    c.paint((250, 180, 720, 800), (246, 241, 230), rounded((262, 190, 720, 800), 18))
    c.paint(
        (240, 170, 700, 790), [(0, lighter(colour, 0.2)), (1, darker(colour, 0.2))], rounded((240, 170, 700, 790), 18)
    )
    c.paint(
        (600, 170, 630, 790), darker(colour, 0.45), lambda d, at: d.rectangle([*at(600, 170), *at(628, 790)], fill=255)
    )
    c.paint((320, 300, 540, 360), lighter(colour, 0.55), rounded((320, 300, 540, 360), 8))


def _pen(c: Canvas, colour: RGB) -> None:
    c.shadow(480, 740, 300, 18, 0.3)
    layer = Canvas.__new__(Canvas)  # a bare layer to rotate, without a backdrop
    layer.image = Image.new("RGB", (SIZE, SIZE))
    alpha = Image.new("L", (SIZE, SIZE), 0)
    layer.paint((160, 440, 800, 520), cylinder(colour), rounded((200, 440, 800, 520), 40), vertical=True)
    layer.paint(
        (120, 455, 230, 505),
        [(0, (220, 220, 225)), (1, (120, 120, 130))],
        polygon(120, 480, 230, 455, 230, 505),
        vertical=True,
    )
    layer.paint((560, 425, 720, 450), (200, 170, 90), rounded((560, 425, 720, 450), 8))
    ImageDraw.Draw(alpha).polygon(
        [(120, 480), (230, 455), (230, 440), (800, 440), (800, 520), (230, 520), (230, 505)], fill=255
    )
    ImageDraw.Draw(alpha).rectangle((560, 425, 720, 450), fill=255)
    c.image.paste(
        layer.image.rotate(18, Image.Resampling.BICUBIC, center=(480, 480)),
        (0, 0),
        alpha.rotate(18, Image.Resampling.BICUBIC, center=(480, 480)),
    )


def _plant(c: Canvas, colour: RGB) -> None:
    leaf = (74, 124, 78)
    c.shadow(480, 810, 170, 26)
    for angle, (x, y) in ((-40, (330, 250)), (-10, (430, 150)), (20, (560, 190)), (55, (640, 320)), (-65, (290, 400))):
        blade = Image.new("L", (260 * AA, 120 * AA), 0)
        ImageDraw.Draw(blade).ellipse((0, 0, 260 * AA, 120 * AA), fill=255)
        blade = blade.resize((260, 120), Image.Resampling.LANCZOS).rotate(-angle, expand=True)
        fill = ramp(blade.width, blade.height, [(0, lighter(leaf, 0.25)), (1, darker(leaf, 0.3))])
        c.image.paste(fill, (x - blade.width // 2 + 60, y - blade.height // 2 + 180), blade)
    c.paint((470, 330, 490, 560), darker(leaf, 0.3), rounded((470, 330, 490, 560), 6))
    c.paint((340, 540, 620, 820), cylinder(colour), polygon(340, 540, 620, 540, 590, 820, 370, 820))
    c.paint((326, 520, 634, 580), lighter(colour, 0.15), rounded((326, 520, 634, 580), 10))


def _tee(c: Canvas, colour: RGB) -> None:
    c.shadow(480, 830, 260, 22, 0.25)
    outline = (
        330,
        190,
        400,
        170,
        480,
        210,
        560,
        170,
        630,
        190,
        800,
        300,
        730,
        430,
        650,
        390,
        650,
        810,
        310,
        810,
        310,
        390,
        230,
        430,
        160,
        300,
    )
    c.paint((160, 170, 800, 810), cylinder(colour), polygon(*outline))
    c.paint(
        (395, 168, 565, 250),
        darker(colour, 0.3),
        lambda d, at: d.chord([*at(395, 120), *at(565, 250)], 0, 180, fill=255),
    )


def _jar(c: Canvas, colour: RGB) -> None:
    glass = (214, 226, 226)
    c.shadow(480, 810, 190, 26)
    c.paint((300, 300, 660, 820), cylinder(glass), rounded((300, 300, 660, 820), 50))
    c.paint((320, 520, 640, 800), cylinder(colour), rounded((320, 520, 640, 800), 36))
    c.paint((330, 220, 630, 320), cylinder((176, 138, 96)), rounded((330, 220, 630, 320), 20))


DRAW = {
    "lamp": _lamp,
    "pendant": _pendant,
    "candle": _candle,
    "mug": _mug,
    "bowl": _bowl,
    "vase": _vase,
    "cushion": _cushion,
    "throw": _throw,
    "notebook": _notebook,
    "pen": _pen,
    "plant": _plant,
    "tee": _tee,
    "jar": _jar,
}
# Backdrops: warm and cool neutrals that flatter the objects.
BACKDROPS = ["#e9ddd0", "#dde4e6", "#e6e0d6", "#e4dbe2", "#dfe6dc"]


def picture(kind: str, colour: str, backdrop: int = 0) -> Image.Image:
    canvas = Canvas(hex_rgb(BACKDROPS[backdrop % len(BACKDROPS)]))
    DRAW[kind](canvas, hex_rgb(colour))
    return canvas.image
