package flowgd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/go-arazzo/arazzo/internal/testutil"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testPAT = "s3cr3t-pat"

func newTestServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.PersonalAccessTokens == nil {
		cfg.PersonalAccessTokens = map[string]string{testPAT: "admin"}
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, ts
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func login(t *testing.T, base, user, pw string) (*http.Response, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"username": user, "password": pw})
	req, _ := http.NewRequest("POST", base+"/api/v1/auth/login", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, body := do(t, req)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("login response is not JSON: %q", body)
	}
	return resp, m
}

func backup(t *testing.T, base, store, authz string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/backup/"+store, nil)
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	return do(t, req)
}

func restore(t *testing.T, base, store, authz, field string, data []byte) (*http.Response, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, store+".db")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", base+"/api/v1/restore/"+store, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", authz)
	return do(t, req)
}

func TestLoginAndAuth(t *testing.T) {
	_, ts := newTestServer(t, Config{Users: map[string]string{"alice": "wonderland"}})

	resp, m := login(t, ts.URL, "alice", "wonderland")
	if resp.StatusCode != 200 || m["success"] != true {
		t.Fatalf("login: %d %v", resp.StatusCode, m)
	}
	tok, _ := m["token"].(string)
	if !strings.HasPrefix(tok, "jwt_") {
		t.Fatalf("token %q lacks the jwt_ prefix", tok)
	}
	raw := strings.TrimPrefix(tok, "jwt_")

	for _, c := range []struct {
		name, authz string
		want        int
	}{
		{"jwt underscore", "Bearer " + tok, 200},
		{"jwt colon", "Bearer jwt:" + raw, 200},
		{"jwt colon with prefixed token", "Bearer jwt:" + tok, 200},
		{"pat underscore", "Bearer pat_" + testPAT, 200},
		{"pat colon", "bearer pat:" + testPAT, 200},
		{"no header", "", 401},
		{"bare token", "Bearer " + testPAT, 401},
		{"wrong pat", "Bearer pat_nope", 401},
		{"pat used as jwt", "Bearer jwt_" + testPAT, 401},
		{"tampered jwt", "Bearer " + tok[:len(tok)-2] + "xx", 401},
		{"basic scheme", "Basic YWRtaW46YWRtaW4=", 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := backup(t, ts.URL, "config", c.authz)
			if resp.StatusCode != c.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.want, body)
			}
			if c.want == 401 {
				var e errorBody
				if err := json.Unmarshal(body, &e); err != nil || e.Success || e.Error == "" {
					t.Fatalf("401 body is not a JSON error: %q", body)
				}
			}
		})
	}

	for _, c := range [][2]string{{"alice", "wrong"}, {"bob", "wonderland"}, {"", ""}} {
		if resp, m := login(t, ts.URL, c[0], c[1]); resp.StatusCode != 401 || m["success"] != false {
			t.Errorf("login(%q,%q): %d %v, want 401", c[0], c[1], resp.StatusCode, m)
		}
	}
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/auth/login", strings.NewReader("{not json"))
	if resp, _ := do(t, req); resp.StatusCode != 400 {
		t.Errorf("garbage login body: %d, want 400", resp.StatusCode)
	}
}

func TestExpiredJWT(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	_, ts := newTestServer(t, Config{Now: clock, TokenTTL: time.Minute})
	_, m := login(t, ts.URL, "admin", "admin")
	tok := m["token"].(string)
	if resp, _ := backup(t, ts.URL, "auth", "Bearer "+tok); resp.StatusCode != 200 {
		t.Fatalf("fresh token: %d", resp.StatusCode)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if resp, body := backup(t, ts.URL, "auth", "Bearer "+tok); resp.StatusCode != 401 || !strings.Contains(string(body), "expired") {
		t.Fatalf("expired token: %d %s", resp.StatusCode, body)
	}
}

// saveTemp writes b to a file and returns its path.
func saveTemp(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "snap.db")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBackupIsSQLiteSnapshotOfStore(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	for _, store := range s.Stores() {
		t.Run(store, func(t *testing.T) {
			keys, err := s.Keys(store)
			if err != nil || len(keys) < 3 {
				t.Fatalf("store %s not seeded: %v %v", store, keys, err)
			}
			resp, body := backup(t, ts.URL, store, "Bearer pat_"+testPAT)
			if resp.StatusCode != 200 {
				t.Fatalf("backup: %d %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
				t.Errorf("Content-Type %q", ct)
			}
			_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
			if err != nil || params["filename"] != store+".db" {
				t.Errorf("Content-Disposition %q", resp.Header.Get("Content-Disposition"))
			}
			if !bytes.HasPrefix(body, sqliteMagic) {
				t.Fatalf("backup is not a SQLite file: % x", body[:min(16, len(body))])
			}
			path := saveTemp(t, body)
			got, err := SnapshotDigest(path)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := s.Digest(store)
			if got != want {
				t.Errorf("snapshot digest %s != store digest %s", got, want)
			}
			if name, err := SnapshotStore(path); err != nil || name != store {
				t.Errorf("SnapshotStore = %q, %v", name, err)
			}
		})
	}
	if resp, _ := backup(t, ts.URL, "secrets", "Bearer pat_"+testPAT); resp.StatusCode != 404 {
		t.Errorf("unknown store: %d, want 404", resp.StatusCode)
	}
}

func TestRestoreMerges(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	authz := "Bearer pat_" + testPAT
	_, snap := backup(t, ts.URL, "config", authz)
	before, _ := s.Digest("config")
	orig, _, _ := s.Get("config", "transformer:add_env")

	// After the backup: change a key, delete a key, add a key.
	if err := s.Put("config", "transformer:add_env", []byte(`.env = "staging"`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("config", "alert:pg_errors"); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("config", "pipeline:new", []byte(`{"nodes":[]}`)); err != nil {
		t.Fatal(err)
	}

	resp, body := restore(t, ts.URL, "config", authz, "backup", snap)
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"success":true}` {
		t.Fatalf("restore: %d %s", resp.StatusCode, body)
	}
	if v, _, _ := s.Get("config", "transformer:add_env"); !bytes.Equal(v, orig) {
		t.Errorf("changed key not restored: %q, want %q", v, orig)
	}
	if _, ok, _ := s.Get("config", "alert:pg_errors"); !ok {
		t.Error("deleted key not restored")
	}
	if v, ok, _ := s.Get("config", "pipeline:new"); !ok || string(v) != `{"nodes":[]}` {
		t.Errorf("key created after the backup was not kept: %q %v", v, ok)
	}
	// Removing the post-backup key must give back exactly the backed-up content.
	s.Delete("config", "pipeline:new")
	if after, _ := s.Digest("config"); after != before {
		t.Errorf("digest after restore %s, want %s", after, before)
	}
}

func TestRestoreRejectsBadUploads(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	_, m := login(t, ts.URL, "admin", "admin")
	authz := "Bearer " + m["token"].(string)
	_, authSnap := backup(t, ts.URL, "auth", authz)
	before, _ := s.Digest("config")

	cases := []struct {
		name, field string
		data        []byte
	}{
		{"garbage", "backup", []byte("this is not a database")},
		{"truncated sqlite", "backup", authSnap[:100]},
		{"wrong store", "backup", authSnap},
		{"wrong field", "file", authSnap},
		{"empty", "backup", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := restore(t, ts.URL, "config", authz, c.field, c.data)
			if resp.StatusCode != 400 {
				t.Fatalf("status %d, want 400: %s", resp.StatusCode, body)
			}
			var e errorBody
			if json.Unmarshal(body, &e) != nil || e.Error == "" {
				t.Fatalf("not a JSON error: %q", body)
			}
		})
	}
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/restore/config", strings.NewReader("raw bytes"))
	req.Header.Set("Authorization", authz)
	req.Header.Set("Content-Type", "application/octet-stream")
	if resp, _ := do(t, req); resp.StatusCode != 400 {
		t.Errorf("non-multipart body: %d, want 400", resp.StatusCode)
	}
	if resp, _ := restore(t, ts.URL, "config", "Bearer pat_wrong", "backup", authSnap); resp.StatusCode != 401 {
		t.Errorf("restore without valid auth: %d, want 401", resp.StatusCode)
	}
	if after, _ := s.Digest("config"); after != before {
		t.Error("a rejected upload changed the store")
	}
}

func TestRestoreUploadLimit(t *testing.T) {
	_, ts := newTestServer(t, Config{MaxUploadBytes: 1024})
	_, snap := backup(t, ts.URL, "logs", "Bearer pat_"+testPAT)
	if resp, body := restore(t, ts.URL, "logs", "Bearer pat_"+testPAT, "backup", snap); resp.StatusCode != 413 {
		t.Fatalf("oversized upload: %d %s, want 413", resp.StatusCode, body)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Put("logs", "stream:extra", []byte("{}"))
	d1, _ := s.Digest("logs")
	s.Close()
	s2, err := New(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if d2, _ := s2.Digest("logs"); d2 != d1 {
		t.Error("reopening the data dir lost or reseeded data")
	}
	// A file from another store in the wrong place is refused.
	other := t.TempDir()
	src, _ := os.ReadFile(filepath.Join(dir, "auth.db"))
	os.WriteFile(filepath.Join(other, "config.db"), src, 0o600)
	if s3, err := New(Config{DataDir: other}); err == nil {
		s3.Close()
		t.Error("New accepted an auth database as config.db")
	}
}

func TestDefaultDataDirRemovedOnClose(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	dir := s.DataDir()
	if _, err := os.Stat(filepath.Join(dir, "auth.db")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close() // idempotent
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("temporary data dir %s survives Close", dir)
	}
}

func TestConcurrentBackupsAndRestores(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	authz := "Bearer pat_" + testPAT
	_, snap := backup(t, ts.URL, "logs", authz)
	// Requests are built up front: t.Fatal must not run off the test goroutine.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("backup", "logs.db")
	fw.Write(snap)
	mw.Close()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 4 {
				if err := s.Put("logs", fmt.Sprintf("entry:concurrent:%d:%d", i, j), []byte("x")); err != nil {
					t.Error(err)
				}
				var req *http.Request
				if (i+j)%2 == 0 {
					req, _ = http.NewRequest("GET", ts.URL+"/api/v1/backup/logs", nil)
				} else {
					req, _ = http.NewRequest("POST", ts.URL+"/api/v1/restore/logs", bytes.NewReader(body.Bytes()))
					req.Header.Set("Content-Type", mw.FormDataContentType())
				}
				req.Header.Set("Authorization", authz)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("%s %s: %s %s", req.Method, req.URL.Path, resp.Status, b)
				}
			}
		}()
	}
	wg.Wait()
	keys, _ := s.Keys("logs")
	n := 0
	for _, k := range keys {
		if strings.HasPrefix(k, "entry:concurrent:") {
			n++
		}
	}
	if n != 32 {
		t.Errorf("%d of 32 concurrently written keys survive (restores must merge, not replace)", n)
	}
}

func TestOpenAPI(t *testing.T) {
	canonical, err := os.ReadFile(filepath.Join(testutil.ModuleRoot(t), "workflows", "openapi", "flowg-openapi.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(canonical, openAPIYAML) {
		t.Fatal("examples/flowgd/flowgd/openapi.yml differs from workflows/openapi/flowg-openapi.yml: copy the canonical file over it")
	}
	_, ts := newTestServer(t, Config{})
	resp, body := do(t, must(http.NewRequest("GET", ts.URL+"/openapi.json", nil)))
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, ops := range doc.Paths {
		for _, op := range ops {
			if id, ok := op["operationId"].(string); ok {
				ids[id] = true
			}
		}
	}
	for _, id := range []string{"login", "backupStore", "backupAuth", "restoreStore", "restoreLogs"} {
		if !ids[id] {
			t.Errorf("operationId %s missing", id)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
