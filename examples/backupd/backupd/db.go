package backupd

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// Dialect names the database engine behind a Server.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// querier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// column describes one column of a user table.
type column struct {
	Name string
	// Insertable is false for generated columns, which a restore must not
	// write.
	Insertable bool
	// Sequence is the PostgreSQL sequence feeding the column (serial or
	// identity), empty when there is none.
	Sequence string
}

// table describes one user table as the catalog reports it.
type table struct {
	Name       string
	Columns    []column
	PrimaryKey []string
	// Parents are the other tables this one references by foreign key.
	Parents []string
	// AutoIncrement is true for SQLite tables declared with AUTOINCREMENT,
	// whose counter lives in sqlite_sequence.
	AutoIncrement bool
}

// quoteIdent quotes an SQL identifier for both SQLite and PostgreSQL.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// qualified returns the quoted name of a table in schema (PostgreSQL only).
func qualified(d Dialect, schema, name string) string {
	if d == Postgres {
		return quoteIdent(schema) + "." + quoteIdent(name)
	}
	return quoteIdent(name)
}

// queryStrings runs a query returning one text column and collects it, so
// that callers never hold a result set open while issuing the next query
// (pgx connections cannot interleave them).
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// loadTables reads the user tables from the catalog and returns them in
// foreign-key dependency order: every table comes after the tables it
// references (cycles are broken by name order).
func loadTables(ctx context.Context, q querier, d Dialect, schema string) ([]table, error) {
	var names []string
	var err error
	if d == Postgres {
		names, err = queryStrings(ctx, q, `SELECT c.relname FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
			ORDER BY c.relname`, schema)
	} else {
		names, err = queryStrings(ctx, q, `SELECT name FROM sqlite_master
			WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
			ORDER BY name`)
	}
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	tables := make([]table, 0, len(names))
	for _, name := range names {
		var t table
		if d == Postgres {
			t, err = loadPostgresTable(ctx, q, schema, name)
		} else {
			t, err = loadSQLiteTable(ctx, q, name)
		}
		if err != nil {
			return nil, fmt.Errorf("read catalog of table %s: %w", name, err)
		}
		tables = append(tables, t)
	}
	return dependencyOrder(tables), nil
}

func loadSQLiteTable(ctx context.Context, q querier, name string) (table, error) {
	t := table{Name: name}
	rows, err := q.QueryContext(ctx, `SELECT name, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid`, name)
	if err != nil {
		return t, err
	}
	type pkCol struct {
		name string
		pos  int
	}
	var pks []pkCol
	for rows.Next() {
		var col string
		var pk, hidden int
		if err := rows.Scan(&col, &pk, &hidden); err != nil {
			rows.Close()
			return t, err
		}
		// hidden is 2 or 3 for generated columns (1 for virtual-table
		// hidden columns): none of them can be inserted.
		t.Columns = append(t.Columns, column{Name: col, Insertable: hidden == 0})
		if pk > 0 {
			pks = append(pks, pkCol{col, pk})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return t, err
	}
	sort.Slice(pks, func(i, j int) bool { return pks[i].pos < pks[j].pos })
	for _, p := range pks {
		t.PrimaryKey = append(t.PrimaryKey, p.name)
	}
	t.Parents, err = queryStrings(ctx, q, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?) ORDER BY 1`, name)
	if err != nil {
		return t, err
	}
	var ddl sql.NullString
	if err := q.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, name).Scan(&ddl); err != nil {
		return t, err
	}
	t.AutoIncrement = strings.Contains(strings.ToUpper(ddl.String), "AUTOINCREMENT")
	return t, nil
}

func loadPostgresTable(ctx context.Context, q querier, schema, name string) (table, error) {
	t := table{Name: name}
	rel := qualified(Postgres, schema, name)
	rows, err := q.QueryContext(ctx, `SELECT a.attname, a.attgenerated = '',
			coalesce(pg_get_serial_sequence($1, a.attname), '')
		FROM pg_attribute a
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, rel)
	if err != nil {
		return t, err
	}
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.Name, &c.Insertable, &c.Sequence); err != nil {
			rows.Close()
			return t, err
		}
		t.Columns = append(t.Columns, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return t, err
	}
	t.PrimaryKey, err = queryStrings(ctx, q, `SELECT a.attname FROM pg_index i
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
		WHERE i.indrelid = $1::regclass AND i.indisprimary
		ORDER BY array_position(i.indkey::int2[], a.attnum)`, rel)
	if err != nil {
		return t, err
	}
	t.Parents, err = queryStrings(ctx, q, `SELECT DISTINCT p.relname FROM pg_constraint k
		JOIN pg_class p ON p.oid = k.confrelid
		JOIN pg_namespace n ON n.oid = p.relnamespace
		WHERE k.contype = 'f' AND k.conrelid = $1::regclass AND n.nspname = $2
		ORDER BY 1`, rel, schema)
	return t, err
}

// dependencyOrder sorts tables so that parents precede children (Kahn's
// algorithm, ties broken by name so the order is stable). Self references
// are ignored; tables caught in a cycle come last, in name order, and rely
// on deferred constraint checking.
func dependencyOrder(tables []table) []table {
	byName := make(map[string]table, len(tables))
	for _, t := range tables {
		byName[t.Name] = t
	}
	indegree := make(map[string]int, len(tables))
	children := make(map[string][]string)
	for _, t := range tables {
		for _, p := range t.Parents {
			if p == t.Name {
				continue
			}
			if _, ok := byName[p]; !ok {
				continue
			}
			indegree[t.Name]++
			children[p] = append(children[p], t.Name)
		}
	}
	var ready []string
	for _, t := range tables {
		if indegree[t.Name] == 0 {
			ready = append(ready, t.Name)
		}
	}
	sort.Strings(ready)
	out := make([]table, 0, len(tables))
	done := make(map[string]bool, len(tables))
	for len(ready) > 0 {
		n := ready[0]
		ready = ready[1:]
		out = append(out, byName[n])
		done[n] = true
		for _, c := range children[n] {
			indegree[c]--
			if indegree[c] == 0 {
				ready = append(ready, c)
				sort.Strings(ready)
			}
		}
	}
	var rest []string
	for _, t := range tables {
		if !done[t.Name] {
			rest = append(rest, t.Name)
		}
	}
	sort.Strings(rest)
	for _, n := range rest {
		out = append(out, byName[n])
	}
	return out
}

// orderBy returns an ORDER BY clause that pages a table deterministically.
func (t table) orderBy(d Dialect) string {
	cols := t.PrimaryKey
	if len(cols) == 0 {
		if d == SQLite {
			return " ORDER BY rowid"
		}
		cols = make([]string, len(t.Columns))
		for i, c := range t.Columns {
			cols[i] = c.Name
		}
	}
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = quoteIdent(c)
	}
	return " ORDER BY " + strings.Join(q, ", ")
}

// readPage returns one page of a table as a JSON array of row objects.
//
// PostgreSQL renders the rows itself (row_to_json), so numerics, timestamps
// and bytea keep their exact text form and json_populate_recordset can read
// them back. SQLite rows are encoded here: blobs become {"$base64": …}.
func readPage(ctx context.Context, q querier, d Dialect, schema string, t table, limit, offset int) ([]byte, int, error) {
	if d == Postgres {
		rows, err := queryStrings(ctx, q, `SELECT row_to_json(t)::text FROM (SELECT * FROM `+
			qualified(d, schema, t.Name)+t.orderBy(d)+` LIMIT $1 OFFSET $2) t`, limit, offset)
		if err != nil {
			return nil, 0, err
		}
		return []byte("[" + strings.Join(rows, ",\n") + "]"), len(rows), nil
	}
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		// Wrapping the column in an expression drops its declared type, so
		// the driver hands back the stored value instead of converting
		// DATE/DATETIME text to time.Time (which would not round-trip).
		cols[i] = "coalesce(" + quoteIdent(c.Name) + ", NULL)"
	}
	rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+
		quoteIdent(t.Name)+t.orderBy(d)+` LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, 0, err
		}
		row := make(map[string]any, len(cols))
		for i, c := range t.Columns {
			if b, ok := vals[i].([]byte); ok {
				row[c.Name] = map[string]string{"$base64": base64.StdEncoding.EncodeToString(b)}
			} else {
				row[c.Name] = vals[i]
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if out == nil {
		out = []map[string]any{}
	}
	data, err := json.Marshal(out)
	return data, len(out), err
}

// insertPage writes one page (as produced by readPage) into a table and
// returns the number of rows inserted.
func insertPage(ctx context.Context, q querier, d Dialect, schema string, t table, page []byte) (int64, error) {
	var cols []string
	for _, c := range t.Columns {
		if c.Insertable {
			cols = append(cols, quoteIdent(c.Name))
		}
	}
	list := strings.Join(cols, ", ")
	if d == Postgres {
		rel := qualified(d, schema, t.Name)
		// OVERRIDING SYSTEM VALUE lets the backed-up ids into GENERATED
		// ALWAYS identity columns; it is a no-op for other tables.
		res, err := q.ExecContext(ctx, `INSERT INTO `+rel+` (`+list+`) OVERRIDING SYSTEM VALUE SELECT `+
			list+` FROM json_populate_recordset(NULL::`+rel+`, $1::json)`, string(page))
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	dec := json.NewDecoder(strings.NewReader(string(page)))
	dec.UseNumber()
	var rows []map[string]any
	if err := dec.Decode(&rows); err != nil {
		return 0, fmt.Errorf("page is not a JSON array of rows: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	stmt, err := q.(interface {
		PrepareContext(context.Context, string) (*sql.Stmt, error)
	}).PrepareContext(ctx, `INSERT INTO `+quoteIdent(t.Name)+` (`+list+`) VALUES (`+marks+`)`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	var n int64
	for _, row := range rows {
		args := make([]any, 0, len(cols))
		for _, c := range t.Columns {
			if !c.Insertable {
				continue
			}
			v, err := sqliteValue(row[c.Name])
			if err != nil {
				return n, fmt.Errorf("column %s: %w", c.Name, err)
			}
			args = append(args, v)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// sqliteValue turns a decoded JSON value back into what SQLite stored.
func sqliteValue(v any) (any, error) {
	switch v := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return i, nil
		}
		return strconv.ParseFloat(string(v), 64)
	case map[string]any:
		s, ok := v["$base64"].(string)
		if !ok || len(v) != 1 {
			return nil, errors.New(`object values must be {"$base64": "…"} blobs`)
		}
		return base64.StdEncoding.DecodeString(s)
	case nil, string, bool:
		return v, nil
	default:
		return nil, fmt.Errorf("unsupported JSON value of type %T", v)
	}
}

// countRows returns the number of rows in a table.
func countRows(ctx context.Context, q querier, d Dialect, schema, name string) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM `+qualified(d, schema, name)).Scan(&n)
	return n, err
}

// resetSequences points every id generator at the current maximum, so the
// next insert after a restore gets a fresh id: setval on PostgreSQL
// sequences (serial and identity), sqlite_sequence for AUTOINCREMENT.
func resetSequences(ctx context.Context, q querier, d Dialect, schema string, tables []table) error {
	for _, t := range tables {
		if d == SQLite {
			if !t.AutoIncrement {
				continue
			}
			if _, err := q.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = coalesce((SELECT max(rowid) FROM `+
				quoteIdent(t.Name)+`), 0) WHERE name = ?`, t.Name); err != nil {
				return fmt.Errorf("reset AUTOINCREMENT counter of %s: %w", t.Name, err)
			}
			continue
		}
		for _, c := range t.Columns {
			if c.Sequence == "" {
				continue
			}
			// is_called=false with max+1 also covers empty tables, where
			// setval(seq, 0) would be below the sequence's minimum.
			if _, err := q.ExecContext(ctx, `SELECT setval($1::regclass, coalesce((SELECT max(`+
				quoteIdent(c.Name)+`) FROM `+qualified(d, schema, t.Name)+`), 0) + 1, false)`, c.Sequence); err != nil {
				return fmt.Errorf("reset sequence %s of %s.%s: %w", c.Sequence, t.Name, c.Name, err)
			}
		}
	}
	return nil
}

// DumpTable returns every row of table ordered by its first column, each
// row a map from column name to the value the driver returned ([]byte
// becomes string). It is meant for tests and the demo, to print and compare
// table contents; it works for SQLite and PostgreSQL.
func DumpTable(ctx context.Context, db *sql.DB, tableName string) ([]map[string]any, error) {
	rows, err := db.QueryContext(ctx, `SELECT * FROM `+quoteIdent(tableName)+` ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("dump table %s: %w", tableName, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("dump table %s: %w", tableName, err)
	}
	out := []map[string]any{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("dump table %s: %w", tableName, err)
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			if b, ok := vals[i].([]byte); ok {
				row[c] = string(b)
			} else {
				row[c] = vals[i]
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("dump table %s: %w", tableName, err)
	}
	return out, nil
}

// ForeignKeyViolations returns one line per row whose foreign key points at
// a missing parent row (empty when the data is consistent). SQLite uses
// PRAGMA foreign_key_check; PostgreSQL checks every foreign-key constraint
// of schema with an anti-join.
func ForeignKeyViolations(ctx context.Context, db *sql.DB, d Dialect, schema string) ([]string, error) {
	if d == SQLite {
		rows, err := db.QueryContext(ctx, `PRAGMA foreign_key_check`)
		if err != nil {
			return nil, fmt.Errorf("foreign key check: %w", err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var tbl, parent string
			var rowid sql.NullInt64
			var fkid int
			if err := rows.Scan(&tbl, &rowid, &parent, &fkid); err != nil {
				return nil, fmt.Errorf("foreign key check: %w", err)
			}
			out = append(out, fmt.Sprintf("%s rowid %d references a missing %s row", tbl, rowid.Int64, parent))
		}
		return out, rows.Err()
	}
	if schema == "" {
		schema = "public"
	}
	rows, err := db.QueryContext(ctx, `SELECT k.conname, c.relname, p.relname,
			array_to_string(array(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
				JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i), ','),
			array_to_string(array(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
				JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i), ',')
		FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid
		JOIN pg_class p ON p.oid = k.confrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE k.contype = 'f' AND n.nspname = $1 ORDER BY 1`, schema)
	if err != nil {
		return nil, fmt.Errorf("foreign key check: %w", err)
	}
	type fk struct{ name, child, parent, cols, pcols string }
	var fks []fk
	for rows.Next() {
		var f fk
		if err := rows.Scan(&f.name, &f.child, &f.parent, &f.cols, &f.pcols); err != nil {
			rows.Close()
			return nil, fmt.Errorf("foreign key check: %w", err)
		}
		fks = append(fks, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("foreign key check: %w", err)
	}
	var out []string
	for _, f := range fks {
		cols, pcols := strings.Split(f.cols, ","), strings.Split(f.pcols, ",")
		var notNull, match []string
		for i := range cols {
			notNull = append(notNull, "c."+quoteIdent(cols[i])+" IS NOT NULL")
			match = append(match, "p."+quoteIdent(pcols[i])+" = c."+quoteIdent(cols[i]))
		}
		var n int64
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+qualified(Postgres, schema, f.child)+` c WHERE `+
			strings.Join(notNull, " AND ")+` AND NOT EXISTS (SELECT 1 FROM `+qualified(Postgres, schema, f.parent)+
			` p WHERE `+strings.Join(match, " AND ")+`)`).Scan(&n)
		if err != nil {
			return nil, fmt.Errorf("foreign key check of %s: %w", f.name, err)
		}
		if n > 0 {
			out = append(out, fmt.Sprintf("%s: %d %s rows reference a missing %s row", f.name, n, f.child, f.parent))
		}
	}
	return out, nil
}
