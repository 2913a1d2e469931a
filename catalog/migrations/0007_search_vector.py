"""Search at scale on PostgreSQL (a no-op on SQLite, which keeps its word-match search).

- `catalog_product.search_vector`: the weighted full-text vector as a stored generated column (an
  explicit regconfig keeps the expression immutable), with a GIN index. It replaces the expression
  index of 0002, so a match no longer recomputes `to_tsvector` for every row it ranks.
- A GIN index on the name's vector alone: catalog.search draws the name matches of a common word first.
  Both without GIN's pending list (fastupdate off): a catalogue is read far more than written, and a
  bulk load would otherwise leave every search scanning the unmerged list until the next vacuum.
- `catalog_search_word`: every word (3+ letters) of product names and descriptions, kept by
  statement-level triggers, with a trigram index (pg_trgm): the vocabulary typos are corrected against.

None of it is in the model state: catalog/search.py reads the column and the table itself.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations

import catalog.operations

VECTOR = """
ALTER TABLE catalog_product ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')
) STORED;
CREATE INDEX catalog_prod_search_vector ON catalog_product USING gin (search_vector) WITH (fastupdate = off);
"""

WORDS = r"""
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE TABLE catalog_search_word (word text COLLATE "C" PRIMARY KEY);
CREATE INDEX catalog_search_word_trgm ON catalog_search_word USING gin (word gin_trgm_ops);
-- Words only grow: a word of an archived or renamed product stays (at worst a correction nobody needs).
-- Sorted inserts: two writers adding the same new words wait in one order, never deadlock.
CREATE FUNCTION catalog_search_word_collect() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO catalog_search_word (word)
    SELECT DISTINCT w FROM new_rows,
        regexp_split_to_table(lower(new_rows.name || ' ' || new_rows.description),
                              '[^[:alpha:]]+') AS w
    WHERE length(w) >= 3
    ORDER BY w
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER catalog_search_word_insert AFTER INSERT ON catalog_product
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_search_word_collect();
CREATE TRIGGER catalog_search_word_update AFTER UPDATE ON catalog_product
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_search_word_collect();
INSERT INTO catalog_search_word (word)
SELECT DISTINCT w FROM catalog_product,
    regexp_split_to_table(lower(name || ' ' || description), '[^[:alpha:]]+') AS w
WHERE length(w) >= 3
ON CONFLICT DO NOTHING;
"""

WORDS_REVERSE = """
DROP TRIGGER catalog_search_word_update ON catalog_product;
DROP TRIGGER catalog_search_word_insert ON catalog_product;
DROP FUNCTION catalog_search_word_collect();
DROP TABLE catalog_search_word;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0006_related_products"),
    ]

    operations = [
        catalog.operations.RunPostgresSQL(
            VECTOR,
            reverse_sql="DROP INDEX catalog_prod_search_vector; ALTER TABLE catalog_product DROP COLUMN search_vector;",
        ),
        catalog.operations.RemovePostgresIndex(
            model_name="product",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector("name", weight="A", config="english")
                + django.contrib.postgres.search.SearchVector("description", weight="B", config="english"),
                name="catalog_prod_search",
            ),
        ),
        catalog.operations.AddPostgresIndex(
            model_name="product",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector("name", config="english"),
                name="catalog_prod_search_name",
                fastupdate=False,
            ),
        ),
        catalog.operations.RunPostgresSQL(WORDS, reverse_sql=WORDS_REVERSE),
    ]
