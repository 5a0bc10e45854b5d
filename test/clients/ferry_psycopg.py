# A psycopg 3 client for test/clients/psycopg.test.ts; prints one `step: result` line per
# step. Run with Debian's /usr/bin/python3 (python3-psycopg). Usage: ferry_psycopg.py <port>
import sys
import threading
import time

import psycopg

conninfo = f"host=127.0.0.1 port={sys.argv[1]} user=materialize dbname=materialize"
with psycopg.connect(conninfo, autocommit=True) as conn:
    cur = conn.cursor()
    cur.execute("CREATE TABLE pyt (id int, name text, amount numeric(10,2))")
    # Server-side parameters (extended protocol), several types.
    cur.execute("INSERT INTO pyt VALUES (%s, %s, %s), (%s, %s, %s)", (1, "one", "1.50", 2, "two", None))
    cur.execute("SELECT name, amount FROM pyt WHERE id = %s AND name <> %s", (1, "x"))
    print("param:", cur.fetchall())
    try:
        cur.execute("SELECT * FROM no_such_table")
        print("error: none")
    except psycopg.Error as e:
        print("error:", e.sqlstate)
    with cur.copy("COPY pyt (id, name) FROM STDIN") as copy:
        copy.write_row((3, "three"))
        copy.write_row((4, None))
    print("copyin:", cur.rowcount)
    out = b""
    with cur.copy("COPY (SELECT id, name FROM pyt ORDER BY id) TO STDOUT") as copy:
        for data in copy:
            out += bytes(data)
    print("copyout:", out.decode().replace("\n", "|"))
    # Transactions with the non-autocommit default.
    conn.autocommit = False
    cur.execute("INSERT INTO pyt (id) VALUES (100)")
    conn.rollback()
    cur.execute("SELECT count(*) FROM pyt")
    print("count:", cur.fetchone()[0])
    conn.rollback()
    conn.autocommit = True
    # Cancel a running statement from another thread (CancelRequest).
    # Cancel every second until the statement ends (a cancel that arrives before the
    # statement started has nothing to cancel).
    done = threading.Event()

    def canceller():
        while not done.wait(1.0):
            conn.cancel()

    threading.Thread(target=canceller, daemon=True).start()
    t0 = time.time()
    try:
        cur.execute("SELECT count(*) FROM generate_series(1, 1000000000) a, generate_series(1, 1000000000) b")
        print("cancel: not cancelled")
    except psycopg.Error as e:
        print("cancel:", e.sqlstate, time.time() - t0 < 20)
    finally:
        done.set()
    cur.execute("SELECT 'alive'")
    print("after:", cur.fetchone()[0])
