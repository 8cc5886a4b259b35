from leadrelay.db.arrays import unnest_insert


def test_one_array_parameter_per_column_in_order():
    assert unnest_insert("t", [("id", "text"), ("n", "int")]) == (
        "INSERT INTO t (id, n) SELECT * FROM unnest($1::text[], $2::int[])"
    )


def test_constant_columns_and_what_follows():
    assert unnest_insert(
        "t", [("id", "text")], constants={"state": "'open'"}, then="ON CONFLICT (id) DO NOTHING"
    ) == ("INSERT INTO t (id, state) SELECT *, 'open' FROM unnest($1::text[]) ON CONFLICT (id) DO NOTHING")
