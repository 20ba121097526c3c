package workflows_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/examples/flowgd/flowgd"
)

const (
	flowgFlow   = "arazzo/flowg-backup-restore.arazzo.yaml"
	flowgSource = "flowgApi"
	flowgPAT    = "e2e-secret"
)

// flowgEnv is flowgd behind a proxy that records the downloaded and the
// uploaded snapshots, and that changes the stores once, between the last
// download and the first restore.
type flowgEnv struct {
	t    *testing.T
	srv  *flowgd.Server
	http *httptest.Server

	mu         sync.Mutex
	downloaded map[string][]byte
	uploaded   map[string][]byte
	changed    bool
	changeErr  error
}

// The change made between backup and restore, per store: a key modified
// (the restore overwrites it), a key deleted (the restore brings it back)
// and a key added (the restore keeps it).
var flowgChanges = map[string]struct{ modify, remove, add string }{
	flowgd.StoreAuth:   {"user:grafana", "role:viewer", "user:newcomer"},
	flowgd.StoreConfig: {"alert:pg_errors", "transformer:add_env", "pipeline:new"},
	flowgd.StoreLogs:   {"stream:postgres", "stream:default", "stream:new"},
}

func startFlowg(t *testing.T) *flowgEnv {
	t.Helper()
	srv, err := flowgd.New(flowgd.Config{DataDir: t.TempDir(), PersonalAccessTokens: map[string]string{flowgPAT: "admin"}})
	if err != nil {
		t.Fatal(err)
	}
	env := &flowgEnv{t: t, srv: srv, downloaded: map[string][]byte{}, uploaded: map[string][]byte{}}
	h := srv.Handler()
	env.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if store, ok := strings.CutPrefix(r.URL.Path, "/api/v1/restore/"); ok && r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			env.recordUpload(store, r.Header.Get("Content-Type"), body)
		}
		if store, ok := strings.CutPrefix(r.URL.Path, "/api/v1/backup/"); ok && r.Method == http.MethodGet {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code == http.StatusOK {
				env.mu.Lock()
				env.downloaded[store] = rec.Body.Bytes()
				env.mu.Unlock()
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { env.http.Close(); srv.Close() })
	return env
}

// recordUpload keeps the "backup" file part of a restore and, on the
// first restore, changes every store.
func (e *flowgEnv) recordUpload(store, contentType string, body []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if p.FormName() == "backup" {
				e.uploaded[store], _ = io.ReadAll(p)
			}
		}
	}
	if e.changed {
		return
	}
	e.changed = true
	for st, c := range flowgChanges {
		e.changeErr = errors.Join(e.changeErr,
			e.srv.Put(st, c.modify, []byte(`{"changed": "after the backup"}`)),
			e.srv.Delete(st, c.remove),
			e.srv.Put(st, c.add, []byte(`{"created": "after the backup"}`)))
	}
}

// check asserts the uploads are the downloads byte for byte, and that the
// stores now hold the snapshots' content plus the keys added after them.
func (e *flowgEnv) check(outputs map[string]any) {
	t := e.t
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.changed || e.changeErr != nil {
		t.Fatalf("the stores were not changed between backup and restore: %v", e.changeErr)
	}
	for _, store := range e.srv.Stores() {
		down, up := e.downloaded[store], e.uploaded[store]
		if len(down) == 0 {
			t.Errorf("%s: nothing downloaded", store)
			continue
		}
		if sha256.Sum256(down) != sha256.Sum256(up) {
			t.Errorf("%s: the uploaded snapshot (%d bytes) is not the downloaded one (%d bytes)", store, len(up), len(down))
		}
		if got := outputs[store+"Bytes"]; got != strconv.Itoa(len(down)) {
			t.Errorf("output %sBytes = %v, want %d", store, got, len(down))
		}
		c := flowgChanges[store]
		if _, ok, _ := e.srv.Get(store, c.add); !ok {
			t.Errorf("%s: key %s added after the backup was not kept (restore must merge)", store, c.add)
		}
		if v, _, _ := e.srv.Get(store, c.modify); bytes.Contains(v, []byte("after the backup")) {
			t.Errorf("%s: key %s still has the value written after the backup", store, c.modify)
		}
		if _, ok, _ := e.srv.Get(store, c.remove); !ok {
			t.Errorf("%s: key %s deleted after the backup was not restored", store, c.remove)
		}
		// Without the added key, the store's content is the snapshot's.
		if err := e.srv.Delete(store, c.add); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), store+".db")
		os.WriteFile(file, down, 0o600)
		want, err := flowgd.SnapshotDigest(file)
		if err != nil {
			t.Fatalf("%s: the download is not a snapshot: %v", store, err)
		}
		if got, _ := e.srv.Digest(store); got != want {
			t.Errorf("%s: store content after restore differs from the snapshot", store)
		}
	}
}

func TestFlowgLoginBackupRestore(t *testing.T) {
	env := startFlowg(t)
	doc := openDoc(t, flowgFlow, engine.WithServer(flowgSource, env.http.URL))
	res, err := doc.Run(context.Background(), "login-backup-and-restore", map[string]any{"username": "admin", "password": "admin"})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	env.check(res.Outputs)
}

// Through the CLI, with a personal access token instead of a login.
func TestFlowgPersonalAccessTokenCLI(t *testing.T) {
	env := startFlowg(t)
	code, rep, stderr := runCLI(t, flowgFlow, "--workflow", "backup-and-restore", "--server", flowgSource+"="+env.http.URL,
		"--input", "token=pat_"+flowgPAT)
	if code != 0 {
		t.Fatalf("exit %d: %+v %s", code, rep, stderr)
	}
	env.check(rep.Workflows[0].Outputs)
}

func TestFlowgUnauthorized(t *testing.T) {
	env := startFlowg(t)
	doc := openDoc(t, flowgFlow, engine.WithServer(flowgSource, env.http.URL))
	_, err := doc.Run(context.Background(), "backup-and-restore", map[string]any{"token": "pat_wrong"})
	var se *engine.StepError
	if !errors.As(err, &se) || se.StatusCode != http.StatusUnauthorized || se.StepID != "backupAuth" {
		t.Fatalf("want a 401 at backupAuth, got %v", err)
	}
	_, err = doc.Run(context.Background(), "login-backup-and-restore", map[string]any{"username": "admin", "password": "wrong"})
	if !errors.As(err, &se) || se.StatusCode != http.StatusUnauthorized || se.StepID != "login" {
		t.Fatalf("want a 401 at login, got %v", err)
	}
	if len(env.uploaded) != 0 {
		t.Errorf("something was restored")
	}
}
