from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Category, Product, ProductImage, ProductVariant
from tests.factories import make_category, make_product, make_product_type, stock_of

pytestmark = pytest.mark.django_db

HEADER = "sku,name,slug,category,price,stock,description,archived\n"


@pytest.fixture
def home():
    return make_category("Home", slug="home")


def run_import(tmp_path, content: bytes | str, *args) -> tuple[str, str]:
    path = tmp_path / "products.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    out, err = StringIO(), StringIO()
    call_command("import_products", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing_import(tmp_path, content, *args) -> str:
    path = tmp_path / "products.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was applied"):
        call_command("import_products", str(path), *args, stdout=StringIO(), stderr=err)
    return err.getvalue()


def test_import_creates_and_updates_by_sku(tmp_path, home):
    make_product("Old name", sku="A-1", category=home, price=Decimal("1.00"))

    out, _ = run_import(
        tmp_path,
        HEADER + "A-1,Desk Lamp,desk-lamp,home,19.90,3,Warm light,0\nB-2,Kettle,,home,25,0,,0\n",
    )

    assert "1 created, 1 updated, 0 skipped" in out
    lamp = Product.objects.get(sku="A-1")
    assert (lamp.name, lamp.price, stock_of(lamp)) == ("Desk Lamp", Decimal("19.90"), 3)
    assert list(lamp.variants.values_list("sku", flat=True)) == ["A-1"]
    assert Product.objects.get(sku="B-2").slug == "kettle"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("C-3,Teapot,,home,abc,1,,0", "line 3: bad price"),
        ("C-3,Teapot,,home,-5,1,,0", "line 3: bad price: '-5' is negative"),
        ("C-3,Teapot,,home,5,-1,,0", "line 3: negative stock -1"),
        ("C-3,Teapot,,home,5,lots,,0", "line 3: bad stock 'lots'"),
        ("A-1,Teapot,,home,5,1,,0", "line 3: duplicate SKU 'A-1' (first on line 2)"),
        ("C-3,Teapot,,nowhere,5,1,,0", "line 3: unknown category 'nowhere'"),
        (",Teapot,,home,5,1,,0", "line 3: sku is empty"),
        ("C-3,,,home,5,1,,0", "line 3: name is empty"),
        ("C-3,Teapot,bad slug!,home,5,1,,0", "line 3: slug 'bad slug!' may only contain"),
        ("C-3,Teapot,,home,5,1,,0,extra", "line 3: more fields than the header has"),
    ],
)
def test_one_bad_row_is_reported_with_its_line_and_nothing_is_applied(tmp_path, home, row, message):
    err = failing_import(tmp_path, HEADER + "A-1,Desk Lamp,,home,1,1,,0\n" + row + "\n")

    assert message in err
    assert not Product.objects.exists()


def test_a_wrong_header_is_refused(tmp_path, home):
    err = failing_import(tmp_path, "sku,title,price\nA-1,Lamp,1\n")

    assert "line 1: wrong header (missing column(s): category, name, stock; unknown column(s): title)" in err


def test_non_utf8_bytes_are_refused_with_the_line(tmp_path, home):
    err = failing_import(tmp_path, HEADER.encode() + "A-1,Café,,home,1,1,,0\n".encode("latin-1"))

    assert "line 2: not UTF-8 text" in err
    assert not Product.objects.exists()


def test_every_bad_row_is_reported_not_just_the_first(tmp_path, home):
    err = failing_import(tmp_path, HEADER + "A,X,,home,-1,1,,0\nB,Y,,home,1,-1,,0\nC,Z,,home,1,1,,0\n")

    assert "line 2:" in err
    assert "line 3:" in err
    assert "line 4:" not in err


def test_a_refused_file_says_what_its_good_rows_would_do(tmp_path, home):
    make_product("Old name", sku="OLD-1", category=home)
    good = "".join(f"N-{i},Lamp {i},,home,1,1,,0\n" for i in range(4)) + "OLD-1,Renamed,,home,1,1,,0\n"
    path = tmp_path / "products.csv"
    path.write_text(HEADER + good + "B-1,Bad,,home,x,1,,0\nB-2,Worse,,nowhere,1,1,,0\n")

    with pytest.raises(CommandError) as refused:
        call_command("import_products", str(path), stdout=StringIO(), stderr=StringIO())

    assert str(refused.value) == (
        "2 error(s) in 2 row(s); nothing was applied. The other rows would give 4 created, 1 updated "
        "(--skip-invalid applies them)."
    )
    assert Product.objects.count() == 1


def test_dry_run_reports_and_changes_nothing(tmp_path, home):
    out, _ = run_import(tmp_path, HEADER + "A-1,Desk Lamp,,home,1,1,,0\n", "--dry-run")

    assert "Dry run, nothing applied: 1 created, 0 updated, 0 skipped." in out
    assert not Product.objects.exists()


def test_skip_invalid_applies_the_good_rows_and_reports_the_bad(tmp_path, home):
    out, err = run_import(tmp_path, HEADER + "A-1,Desk Lamp,,home,1,1,,0\nB-2,Bad,,home,x,1,,0\n", "--skip-invalid")

    assert "1 created, 0 updated, 1 skipped" in out
    assert "line 3: bad price" in err
    assert list(Product.objects.values_list("sku", flat=True)) == ["A-1"]


def test_a_slug_already_taken_by_another_sku_is_an_error(tmp_path, home):
    make_product("Lamp", slug="lamp", sku="OLD", category=home)

    err = failing_import(tmp_path, HEADER + "NEW,Lamp,lamp,home,1,1,,0\n")

    assert "line 2: slug 'lamp' already belongs to SKU 'OLD'" in err


def test_export_round_trips_through_import(tmp_path, home):
    make_product("Desk Lamp", sku="A-1", category=home, price=Decimal("19.90"), description='Says "hi",\nline two')
    make_product("Gone", sku="B-2", category=home, is_archived=True)
    path = tmp_path / "out.csv"
    call_command("export_products", str(path), stdout=StringIO())
    first = path.read_bytes()
    before = list(
        Product.objects.order_by("sku").values("sku", "name", "slug", "price", "description", "is_archived")
    ) + list(ProductVariant.objects.order_by("sku").values("sku", "product_id", "stock", "price_override", "label"))

    out, _ = run_import(tmp_path, first)
    call_command("export_products", str(path), stdout=StringIO())

    assert "0 created, 2 updated, 0 skipped" in out
    assert path.read_bytes() == first
    after = list(
        Product.objects.order_by("sku").values("sku", "name", "slug", "price", "description", "is_archived")
    ) + list(ProductVariant.objects.order_by("sku").values("sku", "product_id", "stock", "price_override", "label"))
    assert after == before


def test_seed_demo_is_idempotent_and_makes_images(settings):
    call_command("seed_demo", "--products", "30", stdout=StringIO(), stderr=StringIO())
    call_command("seed_demo", "--products", "30", stdout=StringIO(), stderr=StringIO())

    assert Product.objects.filter(sku__startswith="DEMO-").count() == 30
    assert ProductImage.objects.filter(is_primary=True, product__sku__startswith="DEMO-").count() == 30
    assert Category.objects.filter(parent__isnull=True).exists()
    image = ProductImage.objects.first()
    assert (settings.MEDIA_ROOT / image.thumbnail.name).exists()

    call_command("seed_demo", "--products", "40", stdout=StringIO(), stderr=StringIO())
    assert Product.objects.filter(sku__startswith="DEMO-").count() == 40


def test_seed_demo_if_empty_leaves_an_existing_catalog_alone():
    make_product("Mine")
    out = StringIO()

    call_command("seed_demo", "--if-empty", stdout=out, stderr=StringIO())

    assert Product.objects.count() == 1
    assert "nothing to do" in out.getvalue()


def test_seed_demo_refuses_more_than_100000_products():
    with pytest.raises(CommandError, match="between 0 and 100000"):
        call_command("seed_demo", "--products", "100001", stdout=StringIO(), stderr=StringIO())


def test_skip_invalid_does_not_rescue_a_file_with_a_wrong_header(tmp_path, home):
    err = failing_import(tmp_path, "sku,title\nA-1,Lamp\n", "--skip-invalid")

    assert "wrong header" in err


VARIANT_HEADER = "sku,product_sku,name,slug,category,product_type,options,price,variant_price,stock,weight_grams\n"


@pytest.fixture
def tee_type(db):
    return make_product_type("Tee", {"Size": ["S", "M"], "Colour": ["Blue"]})


def test_rows_of_one_product_sku_become_its_variants_with_options(tmp_path, home, tee_type):
    rows = (
        f"T-S,TEE,Tee,tee,home,{tee_type.slug},Size=S; Colour=Blue,20,,4,150\n"
        f"T-M,TEE,Tee,tee,home,{tee_type.slug},Size=M; Colour=Blue,20,22.50,0,160\n"
        f"T-L,TEE,Tee,tee,home,{tee_type.slug},Size=L; Colour=Blue,20,,1,\n"
    )

    out, _ = run_import(tmp_path, VARIANT_HEADER + rows)

    assert "3 created, 0 updated, 0 skipped" in out
    tee = Product.objects.get(sku="TEE")
    variants = list(tee.variants.order_by("sku").values_list("sku", "label", "price_override", "stock", "weight_grams"))
    assert variants == [
        ("T-L", "L / Blue", None, 1, None),
        ("T-M", "M / Blue", Decimal("22.50"), 0, 160),
        ("T-S", "S / Blue", None, 4, 150),
    ]
    assert tee_type.options.get(name="Size").values.filter(value="L").exists()  # a new value joins the type


def test_a_multi_variant_export_round_trips_unchanged(tmp_path, home, tee_type):
    rows = (
        f"T-S,TEE,Tee,tee,home,{tee_type.slug},Size=S; Colour=Blue,20,,4,150\n"
        f"T-M,TEE,Tee,tee,home,{tee_type.slug},Size=M; Colour=Blue,20,22.50,0,160\n"
    )
    run_import(tmp_path, VARIANT_HEADER + rows)
    make_product("Mug", sku="MUG", category=home, stock=3)
    path = tmp_path / "out.csv"
    call_command("export_products", str(path), stdout=StringIO())
    first = path.read_bytes()
    assert first.decode().count("\n") == 4  # the header, two tee variants, the mug

    out, _ = run_import(tmp_path, first)
    call_command("export_products", str(path), stdout=StringIO())

    assert "0 created, 3 updated, 0 skipped" in out
    assert path.read_bytes() == first


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("T-S,TEE,Tee,tee,home,{t},Size=S,20,,1,\nT-M,TEE,Other,tee,home,{t},Size=M,20,,1,\n", "line 3: name differ"),
        ("T-S,TEE,Tee,tee,home,nosuch,Size=S,20,,1,\n", "line 2: unknown product type 'nosuch'"),
        ("T-S,TEE,Tee,tee,home,,Size=S,20,,1,\n", "line 2: options need a product_type"),
        ("T-S,TEE,Tee,tee,home,{t},Size,20,,1,\n", "line 2: bad option 'Size'"),
        ("T-S,TEE,Tee,tee,home,{t},Size=S; Size=M,20,,1,\n", "line 2: option 'Size' is given twice"),
        ("T-S,TEE,Tee,tee,home,{t},Size=S,20,-1,1,\n", "line 2: bad variant_price"),
        ("T-S,TEE,Tee,tee,home,{t},Size=S,20,,1,heavy\n", "line 2: bad weight_grams 'heavy'"),
    ],
)
def test_bad_variant_rows_are_reported_and_nothing_is_applied(tmp_path, home, tee_type, rows, message):
    err = failing_import(tmp_path, VARIANT_HEADER + rows.format(t=tee_type.slug))
    assert message in err
    assert not Product.objects.filter(sku="TEE").exists()


def test_a_variant_sku_of_another_product_is_refused(tmp_path, home, tee_type):
    make_product("Mug", sku="MUG", category=home)
    err = failing_import(tmp_path, VARIANT_HEADER + f"MUG,TEE,Tee,tee,home,{tee_type.slug},Size=S,20,,1,\n")
    assert "line 2: SKU 'MUG' is a variant of product 'MUG'" in err


def test_seed_demo_makes_types_attributes_and_variants(settings, client):
    call_command("seed_demo", "--products", "40", stdout=StringIO(), stderr=StringIO())

    tee = Product.objects.get(sku="TEE-000001")
    assert tee.variants.count() == 20
    assert Product.objects.get(sku="TEE-000002").variants.count() == 19  # XS in red is not made
    lamps = Product.objects.filter(product_type__slug="lamp")
    assert lamps.exists()
    assert all(lamp.variants.count() == 3 for lamp in lamps)
    page = client.get(tee.get_absolute_url()).content.decode()
    assert ">Material</th>" in page
    assert "(unavailable)" not in page  # the first tee has every combination


def test_tax_classes_round_trip_through_export_and_import(tmp_path, home):
    book = make_product("Atlas", sku="BOOK", category=home, tax_class_id="reduced")
    make_product("Lamp", sku="LAMP", category=home)
    book.variants.update(tax_class="zero")
    path = tmp_path / "out.csv"
    call_command("export_products", str(path), stdout=StringIO())
    first = path.read_bytes()
    assert first.decode().splitlines()[0].endswith(",tax_class,variant_tax_class")
    assert ",reduced,zero" in first.decode()

    Product.objects.update(tax_class="standard")
    ProductVariant.objects.update(tax_class=None)
    run_import(tmp_path, first)
    call_command("export_products", str(path), stdout=StringIO())

    assert path.read_bytes() == first
    assert dict(Product.objects.values_list("sku", "tax_class")) == {"BOOK": "reduced", "LAMP": "standard"}
    assert dict(ProductVariant.objects.values_list("sku", "tax_class")) == {"BOOK": "zero", "LAMP": None}


def test_a_file_without_tax_columns_keeps_the_tax_classes(tmp_path, home):
    book = make_product("Atlas", sku="BOOK", category=home, tax_class_id="reduced")
    book.variants.update(tax_class="zero")
    run_import(tmp_path, HEADER + "BOOK,Atlas,atlas,home,12,3,,0\n")
    book.refresh_from_db()
    assert (book.tax_class_id, book.variants.get().tax_class_id) == ("reduced", "zero")


def test_a_new_product_without_a_tax_class_is_standard_and_an_unknown_class_is_an_error(tmp_path, home):
    header = "sku,name,category,price,stock,tax_class\n"
    run_import(tmp_path, header + "NEW,New,home,5,1,\n")
    assert Product.objects.get(sku="NEW").tax_class_id == "standard"
    err = failing_import(tmp_path, header + "ODD,Odd,home,5,1,luxury\n")
    assert "line 2: unknown tax_class 'luxury' (use one of reduced, standard, zero)" in err


def test_seed_demo_is_a_shop_a_merchant_would_recognise(settings, client):
    call_command("seed_demo", "--products", "60", stdout=StringIO(), stderr=StringIO())

    products = list(Product.objects.select_related("category__parent"))
    assert all(not p.name.split()[-1].isdigit() for p in products)  # "Alba Stoneware Mug", not "Mug 12"
    assert len({p.name for p in products}) == len(products)
    assert all(p.category.parent is not None for p in products)  # two levels: Kitchen & Dining / Mugs & cups
    assert "Home" not in set(Category.objects.filter(parent=None).values_list("name", flat=True))
    assert all(len(p.description) > 80 for p in products)
    assert all(Decimal("5") < p.price < Decimal("400") for p in products)
    page = client.get("/products/?per_page=60").content.decode()
    assert "Mug" in page
    assert "Lamp" in page


def test_demo_images_are_illustrations_not_flat_squares(settings):
    from PIL import Image

    from catalog import demo_art

    call_command("seed_demo", "--products", "13", stdout=StringIO(), stderr=StringIO())
    image = ProductImage.objects.filter(product__sku="DEMO-000006").get()
    with Image.open(settings.MEDIA_ROOT / image.display.name) as picture:
        assert picture.size == (960, 960)  # the square card ratio of the theme
        colours = picture.convert("RGB").getcolors(maxcolors=1_000_000)
    assert len(colours) > 2000  # gradients and shadows, not two flat fills
    assert demo_art.picture("mug", "#5b6c8f").tobytes() == demo_art.picture("mug", "#5b6c8f").tobytes()
