package backupd

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/go-arazzo/arazzo/internal/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testServer is a Server behind an httptest server, with a JSON client.
type testServer struct {
	t    *testing.T
	s    *Server
	http *httptest.Server
	base string // …/v1/databases/<id>
}

const testToken = "test-token"

// start runs cfg behind an httptest server; both close at cleanup.
func start(t *testing.T, cfg Config) *testServer {
	t.Helper()
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	if cfg.KDFIterations == 0 {
		cfg.KDFIterations = 1000 // the default 600k costs ~0.2 s per call
	}
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &testServer{t: t, s: s, http: hs, base: hs.URL + "/v1/databases/" + s.DatabaseID()}
}

// pgURL returns the admin URL of the test PostgreSQL server, skipping
// loudly when it is unreachable.
func pgAdminURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("BACKUPD_TEST_POSTGRES_URL")
	if u == "" {
		u = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	db, err := sql.Open("pgx", u)
	if err != nil {
		testutil.SkipLoudly(t, "PostgreSQL not usable at %s: %v", u, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		testutil.SkipLoudly(t, "PostgreSQL not reachable at %s (set BACKUPD_TEST_POSTGRES_URL): %v", u, err)
	}
	return u
}

// newPostgresDB creates an empty database for one test and drops it at
// cleanup; it returns the database's URL.
func newPostgresDB(t *testing.T) string {
	t.Helper()
	admin := pgAdminURL(t)
	b := make([]byte, 6)
	rand.Read(b)
	name := "backupd_test_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE DATABASE ` + name); err != nil {
		db.Close()
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// requirePgTools skips loudly unless pg_dump and pg_restore are on PATH.
func requirePgTools(t *testing.T) {
	t.Helper()
	for _, bin := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(bin); err != nil {
			testutil.SkipLoudly(t, "%s not on PATH (install postgresql-client): %v", bin, err)
		}
	}
}

// call sends a request with the test token; body may be nil, a string or
// any JSON-encodable value. It returns the status and the decoded body.
func (ts *testServer) call(method, path string, body any) (int, map[string]any) {
	ts.t.Helper()
	return ts.callAuth(method, path, body, "Bearer "+testToken)
}

func (ts *testServer) callAuth(method, path string, body any, auth string) (int, map[string]any) {
	ts.t.Helper()
	resp, data := ts.raw(method, path, body, auth)
	out := map[string]any{}
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			ts.t.Fatalf("%s %s: response %d is not a JSON object: %v: %s", method, path, resp.StatusCode, err, data)
		}
	}
	return resp.StatusCode, out
}

func (ts *testServer) raw(method, path string, body any, auth string) (*http.Response, []byte) {
	ts.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = ts.base + path
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		ts.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := ts.http.Client().Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp, data
}

// createBackup posts a backup request and checks the 202 running answer.
func (ts *testServer) createBackup(req map[string]any) string {
	ts.t.Helper()
	st, b := ts.call("POST", "/backups", req)
	if st != http.StatusAccepted || b["status"] != StatusRunning {
		ts.t.Fatalf("createDatabaseBackup = %d %v, want 202 running", st, b)
	}
	return b["id"].(string)
}

// waitBackup polls getDatabaseBackup until the backup leaves "running".
func (ts *testServer) waitBackup(id string) map[string]any {
	ts.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, b := ts.call("GET", "/backups/"+id, nil)
		if st != http.StatusOK {
			ts.t.Fatalf("getDatabaseBackup %s = %d %v", id, st, b)
		}
		if b["status"] != StatusRunning {
			return b
		}
		if time.Now().After(deadline) {
			ts.t.Fatalf("backup %s still running after 20s", id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitReady polls getDatabase until it is ready again and returns the last
// restore.
func (ts *testServer) waitReady() map[string]any {
	ts.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, d := ts.call("GET", "", nil)
		if st != http.StatusOK {
			ts.t.Fatalf("getDatabase = %d %v", st, d)
		}
		if d["status"] == "ready" {
			r, _ := d["lastRestore"].(map[string]any)
			return r
		}
		if d["status"] != "restoring" {
			ts.t.Fatalf("database status %v, want restoring or ready", d["status"])
		}
		if time.Now().After(deadline) {
			ts.t.Fatalf("database still restoring after 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// tables snapshots every demo table.
func tables(t *testing.T, db *sql.DB) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, name := range DemoTables {
		rows, err := DumpTable(context.Background(), db, name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = rows
	}
	return out
}

func mustExec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func fmtRows(rows []map[string]any) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%v\n", r)
	}
	return b.String()
}
