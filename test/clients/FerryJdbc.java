// A tiny JDBC client for test/clients/jdbc.test.ts: each step prints one line `step: result`
// which the test asserts on. Usage: java -cp postgresql.jar:. FerryJdbc <port>
import java.io.StringReader;
import java.io.StringWriter;
import java.sql.*;
import java.util.Properties;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

public class FerryJdbc {
  static ResultSet metaCall(DatabaseMetaData md, String name) throws SQLException {
    switch (name) {
      case "getPrimaryKeys": return md.getPrimaryKeys(null, "public", "jt");
      case "getIndexInfo": return md.getIndexInfo(null, "public", "jt", false, true);
      case "getImportedKeys": return md.getImportedKeys(null, "public", "jt");
      case "getExportedKeys": return md.getExportedKeys(null, "public", "jt");
      case "getTypeInfo": return md.getTypeInfo();
      case "getCatalogs": return md.getCatalogs();
      case "getTableTypes": return md.getTableTypes();
      case "getTablePrivileges": return md.getTablePrivileges(null, "public", "%");
      case "getColumnPrivileges": return md.getColumnPrivileges(null, "public", "jt", "%");
      case "getBestRowIdentifier": return md.getBestRowIdentifier(null, "public", "jt", DatabaseMetaData.bestRowSession, true);
      case "getVersionColumns": return md.getVersionColumns(null, "public", "jt");
      case "getProcedures": return md.getProcedures(null, "public", "%");
      case "getFunctions": return md.getFunctions(null, "public", "%");
      default: return md.getUDTs(null, "public", "%", null);
    }
  }

  public static void main(String[] args) throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/materialize";
    Properties props = new Properties();
    props.setProperty("user", "materialize");
    try (Connection c = DriverManager.getConnection(url, props)) {
      DatabaseMetaData md = c.getMetaData();
      System.out.println("product: " + md.getDatabaseProductName() + " " + md.getDatabaseProductVersion());
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE jt (id int, name text, amount numeric(10,2))");
        s.execute("INSERT INTO jt VALUES (1, 'one', 1.50), (2, 'two', 2.25)");
      }
      try (PreparedStatement p = c.prepareStatement("SELECT name, amount FROM jt WHERE id = ? AND name <> ?")) {
        p.setInt(1, 2);
        p.setString(2, "x");
        try (ResultSet rs = p.executeQuery()) {
          rs.next();
          System.out.println("param: " + rs.getString(1) + " " + rs.getBigDecimal(2));
        }
      }
      try (Statement s = c.createStatement()) {
        s.executeQuery("SELECT * FROM no_such_table");
        System.out.println("error: none");
      } catch (SQLException e) {
        System.out.println("error: " + e.getSQLState());
      }
      CopyManager cm = c.unwrap(PGConnection.class).getCopyAPI();
      long in = cm.copyIn("COPY jt FROM STDIN", new StringReader("3\tthree\t3.75\n4\t\\N\t4.00\n"));
      System.out.println("copyin: " + in);
      StringWriter w = new StringWriter();
      long out = cm.copyOut("COPY (SELECT id, name FROM jt ORDER BY id) TO STDOUT WITH (FORMAT csv)", w);
      System.out.println("copyout: " + out + " " + w.toString().trim().replace("\n", "|"));
      try (ResultSet rs = md.getTables(null, "public", "jt", new String[] {"TABLE"})) {
        StringBuilder sb = new StringBuilder();
        while (rs.next()) sb.append(rs.getString("TABLE_SCHEM")).append('.').append(rs.getString("TABLE_NAME")).append(':').append(rs.getString("TABLE_TYPE")).append(' ');
        System.out.println("tables: " + sb.toString().trim());
      }
      try (ResultSet rs = md.getColumns(null, "public", "jt", null)) {
        StringBuilder sb = new StringBuilder();
        while (rs.next()) sb.append(rs.getString("COLUMN_NAME")).append(':').append(rs.getString("TYPE_NAME")).append(':').append(rs.getInt("DATA_TYPE")).append(' ');
        System.out.println("columns: " + sb.toString().trim());
      }
      // Every column of every relation: a result of many rows, which once exposed a framing
      // bug in the server's DataRow writer (the driver waited forever for missing bytes).
      try (ResultSet rs = md.getColumns(null, null, "%", "%")) {
        int n = 0;
        while (rs.next()) n++;
        System.out.println("allcolumns: " + (n > 100));
      }
      // The other metadata calls GUI clients make; each must at least run.
      StringBuilder failed = new StringBuilder();
      String[] names = {"getPrimaryKeys", "getIndexInfo", "getImportedKeys", "getExportedKeys", "getTypeInfo", "getCatalogs", "getTableTypes",
        "getTablePrivileges", "getColumnPrivileges", "getBestRowIdentifier", "getVersionColumns", "getProcedures", "getFunctions", "getUDTs"};
      for (String name : names) {
        try (ResultSet rs = metaCall(md, name)) {
          while (rs.next()) { }
        } catch (SQLException e) {
          failed.append(name).append('(').append(e.getMessage().split("\n")[0]).append(") ");
        }
      }
      System.out.println("metadata: " + (failed.length() == 0 ? "ok" : failed.toString().trim()));
      try (ResultSet rs = md.getSchemas()) {
        StringBuilder sb = new StringBuilder();
        while (rs.next()) sb.append(rs.getString("TABLE_SCHEM")).append(' ');
        System.out.println("schemas: " + sb.toString().trim());
      }
      // Cancel: Statement.cancel() from another thread sends a CancelRequest.
      try (Statement s = c.createStatement()) {
        // Cancel every second until the statement ends: a cancel that arrives before the
        // statement started has nothing to cancel.
        Thread t = new Thread(() -> {
          try { while (true) { Thread.sleep(1000); s.cancel(); } } catch (Exception e) { }
        });
        t.start();
        long t0 = System.currentTimeMillis();
        try {
          s.executeQuery("SELECT count(*) FROM generate_series(1, 100000000) a, generate_series(1, 100000000) b");
          System.out.println("cancel: not cancelled");
        } catch (SQLException e) {
          System.out.println("cancel: " + e.getSQLState() + " " + (System.currentTimeMillis() - t0 < 20000));
        }
        t.interrupt();
        t.join();
      }
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM jt")) {
        rs.next();
        System.out.println("after: " + rs.getLong(1));
      }
    }
  }
}
