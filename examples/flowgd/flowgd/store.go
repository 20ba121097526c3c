package flowgd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// Store names, as used in the backup and restore URLs.
const (
	StoreAuth   = "auth"
	StoreConfig = "config"
	StoreLogs   = "logs"
)

// storeNames lists the stores in a stable order.
var storeNames = []string{StoreAuth, StoreConfig, StoreLogs}

// sqliteMagic is the 16-byte header every SQLite 3 database file starts with.
var sqliteMagic = []byte("SQLite format 3\x00")

// schema is shared by the live stores and by their snapshots, so that a
// snapshot is itself a valid store that can be inspected or restored.
const schema = `
CREATE TABLE IF NOT EXISTS flowg_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
`

// kvStore is one FlowG database: a key-value table in its own SQLite file.
type kvStore struct {
	name string
	path string
	db   *sql.DB
}

// sqliteDSN builds a modernc.org/sqlite DSN for a file path.
func sqliteDSN(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	if readOnly {
		q.Set("mode", "ro")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// openStore opens (creating if needed) the store file and checks that an
// existing file belongs to the named store.
func openStore(ctx context.Context, name, path string) (*kvStore, error) {
	db, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		return nil, fmt.Errorf("open %s store at %s: %w", name, path, err)
	}
	// One connection serialises every statement on the store: simple and
	// free of SQLITE_BUSY races between concurrent requests.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("initialise %s store at %s: %w", name, path, err)
	}
	if _, err := db.ExecContext(ctx,
		`INSERT OR IGNORE INTO flowg_meta(name, value) VALUES ('store', ?), ('format', '1')`, name); err != nil {
		db.Close()
		return nil, fmt.Errorf("initialise %s store at %s: %w", name, path, err)
	}
	var got string
	if err := db.QueryRowContext(ctx, `SELECT value FROM flowg_meta WHERE name = 'store'`).Scan(&got); err != nil {
		db.Close()
		return nil, fmt.Errorf("read %s store metadata at %s: %w", name, path, err)
	}
	if got != name {
		db.Close()
		return nil, fmt.Errorf("%s holds the %q store, not %q: point DataDir at a FlowG data directory", path, got, name)
	}
	return &kvStore{name: name, path: path, db: db}, nil
}

// empty reports whether the store holds no keys.
func (s *kvStore) empty(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM kv`).Scan(&n)
	return n == 0, err
}

func (s *kvStore) put(ctx context.Context, key string, value []byte) error {
	if value == nil {
		value = []byte{} // the column is NOT NULL; an empty value is still a value
	}
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO kv(key, value) VALUES (?, ?)`, key, value)
	return err
}

func (s *kvStore) get(ctx context.Context, key string) ([]byte, bool, error) {
	var v []byte
	err := s.db.QueryRowContext(ctx, `SELECT value FROM kv WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

func (s *kvStore) delete(ctx context.Context, key string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM kv WHERE key = ?`, key)
	return err
}

func (s *kvStore) keys(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key FROM kv ORDER BY key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// putMany writes the entries in one transaction.
func (s *kvStore) putMany(ctx context.Context, entries map[string][]byte) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for k, v := range entries {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO kv(key, value) VALUES (?, ?)`, k, v); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// snapshot writes a transactionally consistent copy of the store to dst,
// which must not exist yet.
func (s *kvStore) snapshot(ctx context.Context, dst string) error {
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("snapshot %s store: %w", s.name, err)
	}
	return nil
}

// errInvalidBackup marks a restore upload that is not a usable snapshot; the
// HTTP layer maps it to 400.
var errInvalidBackup = errors.New("invalid backup")

// mergeFrom copies every key of the snapshot at path into the store,
// overwriting keys present in both and keeping keys only the store has, as
// FlowG's restore does. It returns the number of keys written.
func (s *kvStore) mergeFrom(ctx context.Context, path string) (int, error) {
	if err := checkSQLiteHeader(path); err != nil {
		return 0, err
	}
	bak, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		return 0, fmt.Errorf("%w: open upload: %v", errInvalidBackup, err)
	}
	defer bak.Close()
	var check string
	if err := bak.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil || check != "ok" {
		return 0, fmt.Errorf("%w: the upload is a damaged SQLite file (quick_check: %q, %v)", errInvalidBackup, check, err)
	}
	var store string
	if err := bak.QueryRowContext(ctx, `SELECT value FROM flowg_meta WHERE name = 'store'`).Scan(&store); err != nil {
		return 0, fmt.Errorf("%w: the upload is a SQLite file but not a FlowG backup (no store metadata: %v)", errInvalidBackup, err)
	}
	if store != s.name {
		return 0, fmt.Errorf("%w: the upload is a backup of the %q store; restore it at /api/v1/restore/%s", errInvalidBackup, store, store)
	}
	rows, err := bak.QueryContext(ctx, `SELECT key, value FROM kv`)
	if err != nil {
		return 0, fmt.Errorf("%w: read keys: %v", errInvalidBackup, err)
	}
	defer rows.Close()

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("restore %s store: %w", s.name, err)
	}
	defer tx.Rollback()
	n := 0
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return 0, fmt.Errorf("%w: read key: %v", errInvalidBackup, err)
		}
		if v == nil {
			v = []byte{}
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO kv(key, value) VALUES (?, ?)`, k, v); err != nil {
			return 0, fmt.Errorf("restore %s store: write %q: %w", s.name, k, err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("%w: read keys: %v", errInvalidBackup, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("restore %s store: commit: %w", s.name, err)
	}
	return n, nil
}

// checkSQLiteHeader rejects files that do not start with the SQLite magic.
func checkSQLiteHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %v", errInvalidBackup, err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteMagic))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, sqliteMagic) {
		return fmt.Errorf("%w: the upload is not a SQLite database file", errInvalidBackup)
	}
	return nil
}

// digestDB hashes the logical content (sorted keys and values) of the kv
// table, so that two files with the same entries hash alike whatever their
// page layout.
func digestDB(ctx context.Context, db *sql.DB) (string, error) {
	rows, err := db.QueryContext(ctx, `SELECT key, value FROM kv ORDER BY key`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	h := sha256.New()
	var n [8]byte
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return "", err
		}
		// Length prefixes keep ("ab","c") and ("a","bc") apart.
		binary.BigEndian.PutUint64(n[:], uint64(len(k)))
		h.Write(n[:])
		h.Write([]byte(k))
		binary.BigEndian.PutUint64(n[:], uint64(len(v)))
		h.Write(n[:])
		h.Write(v)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// SnapshotDigest returns the sha256 (hex) of the logical content of a backup
// file, comparable with [Server.Digest] of the store it was taken from.
func SnapshotDigest(path string) (string, error) {
	if err := checkSQLiteHeader(path); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	db, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		return "", fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	d, err := digestDB(context.Background(), db)
	if err != nil {
		return "", fmt.Errorf("read %s as a FlowG backup: %w", path, err)
	}
	return d, nil
}

// SnapshotStore returns the store name recorded in a backup file.
func SnapshotStore(path string) (string, error) {
	if err := checkSQLiteHeader(path); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	db, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		return "", fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	var store string
	if err := db.QueryRow(`SELECT value FROM flowg_meta WHERE name = 'store'`).Scan(&store); err != nil {
		return "", fmt.Errorf("read %s as a FlowG backup: %w", path, err)
	}
	return store, nil
}

// seedData returns realistic initial content for a fresh store.
func seedData(name string, users []string) map[string][]byte {
	m := map[string][]byte{}
	js := func(v any) []byte {
		b, _ := json.Marshal(v) // only plain maps and slices: cannot fail
		return b
	}
	switch name {
	case StoreAuth:
		m["role:admin"] = js(map[string]any{"name": "admin", "scopes": []string{
			"read_acls", "write_acls", "read_pipelines", "write_pipelines",
			"read_transformers", "write_transformers", "read_alerts", "write_alerts",
			"read_streams", "write_streams", "send_logs",
		}})
		m["role:viewer"] = js(map[string]any{"name": "viewer", "scopes": []string{
			"read_pipelines", "read_transformers", "read_alerts", "read_streams",
		}})
		for _, u := range users {
			m["user:"+u] = js(map[string]any{"name": u, "roles": []string{"admin"}})
		}
		m["user:grafana"] = js(map[string]any{"name": "grafana", "roles": []string{"viewer"}})
	case StoreConfig:
		m["pipeline:default"] = js(map[string]any{
			"nodes": []map[string]any{
				{"id": "source", "type": "source", "data": map[string]any{"type": "direct"}},
				{"id": "t1", "type": "transform", "data": map[string]any{"transformer": "from_rfc5424"}},
				{"id": "r1", "type": "router", "data": map[string]any{"stream": "default"}},
			},
			"edges": []map[string]any{
				{"source": "source", "target": "t1"}, {"source": "t1", "target": "r1"},
			},
		})
		m["pipeline:postgres"] = js(map[string]any{
			"nodes": []map[string]any{
				{"id": "source", "type": "source", "data": map[string]any{"type": "syslog"}},
				{"id": "s1", "type": "switch", "data": map[string]any{"condition": `level == "error"`}},
				{"id": "a1", "type": "alert", "data": map[string]any{"alert": "pg_errors"}},
				{"id": "r1", "type": "router", "data": map[string]any{"stream": "postgres"}},
			},
			"edges": []map[string]any{
				{"source": "source", "target": "s1"}, {"source": "s1", "target": "a1"},
				{"source": "source", "target": "r1"},
			},
		})
		m["transformer:from_rfc5424"] = []byte(". = parse_syslog!(.message)\n")
		m["transformer:add_env"] = []byte(".env = \"production\"\n")
		m["alert:pg_errors"] = js(map[string]any{
			"webhook": "https://hooks.example.com/flowg/pg-errors",
			"headers": map[string]string{"X-Team": "dba"},
		})
	case StoreLogs:
		m["stream:default"] = js(map[string]any{"ttl": 0, "size": 0, "indexed_fields": []string{"level", "service"}})
		m["stream:postgres"] = js(map[string]any{"ttl": 604800, "size": 1 << 30, "indexed_fields": []string{"level"}})
		levels := []string{"info", "info", "warning", "info", "error"}
		services := []string{"api", "worker", "postgres"}
		// Deterministic entries: keys sort by timestamp like FlowG's
		// entry:<stream>:<zero-padded unix ms>:<id> keys.
		for i := range 40 {
			stream := "default"
			svc := services[i%len(services)]
			if svc == "postgres" {
				stream = "postgres"
			}
			ts := int64(1735689600000) + int64(i)*15_000
			key := fmt.Sprintf("entry:%s:%020d:%08x-0000-4000-8000-%012x", stream, ts, i*2654435761, i)
			m[key] = js(map[string]any{
				"timestamp": ts,
				"fields": map[string]string{
					"level":   levels[i%len(levels)],
					"service": svc,
					"message": fmt.Sprintf("%s: request %d handled", svc, i),
				},
			})
		}
	}
	return m
}

// storePath is where a store's SQLite file lives inside the data dir.
func storePath(dataDir, name string) string {
	return filepath.Join(dataDir, name+".db")
}
