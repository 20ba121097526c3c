package workflows_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/examples/azurebackup/azurebackup"
	"github.com/go-arazzo/arazzo/runner"
)

const (
	azureFlow   = "arazzo/azure-postgres-restore.arazzo.yaml"
	azureSource = "dataProtectionApi"
	azureToken  = "azure-e2e-token"
	azureLatest = "restore-latest-recovery-point"
	azureByID   = "restore-recovery-point-as-files"
)

// azureEnv is the Data Protection mock behind a recording proxy.
type azureEnv struct {
	srv  *azurebackup.Server
	http *httptest.Server
	mu   sync.Mutex
	reqs []string // "METHOD escaped-path?query"
}

func startAzure(t *testing.T, cfg azurebackup.Config) *azureEnv {
	t.Helper()
	cfg.Token = azureToken
	cfg.TargetDir = t.TempDir()
	srv, err := azurebackup.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	env := &azureEnv{srv: srv}
	h := srv.Handler()
	env.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		env.mu.Lock()
		env.reqs = append(env.reqs, r.Method+" "+r.URL.RequestURI())
		env.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { env.http.Close(); srv.Close() })
	return env
}

func (e *azureEnv) requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.reqs...)
}

func azureInputs(token, prefix string) map[string]any {
	return map[string]any{
		"accessToken":        token,
		"subscriptionId":     "e3d2d341-4ddb-4c5d-9121-69b7e719485e",
		"resourceGroupName":  "TestBkpVaultRG",
		"vaultName":          "testBkpVault",
		"backupInstanceName": "pgflextestserver-857d23b1-c679-4c94-ade6-c4d34635e149",
		"targetContainerUrl": "https://testossstorageaccount.blob.core.windows.net/testcontainerrestore",
		"filePrefix":         prefix,
	}
}

// checkRestoredFile asserts the target directory holds exactly one file,
// the recovery point's bytes.
func (e *azureEnv) checkRestoredFile(t *testing.T, prefix, rpID string) {
	t.Helper()
	want, ok := e.srv.RecoveryPointBytes(rpID)
	if !ok {
		t.Fatalf("no recovery point %s", rpID)
	}
	path := filepath.Join(e.srv.TargetDir(), "testcontainerrestore", prefix+"_"+rpID+".dump")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("restored file: %v", err)
	}
	if sha256.Sum256(got) != sha256.Sum256(want) {
		t.Errorf("restored file %s: sha256 differs from the recovery point's bytes (%d bytes, want %d)", path, len(got), len(want))
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("target container holds %d files, want 1", len(entries))
	}
}

// waits records the runner's retry waits.
type waits struct {
	mu  sync.Mutex
	all []runner.Waiting
}

func (w *waits) Observe(e runner.Event) {
	if ev, ok := e.(runner.Waiting); ok {
		w.mu.Lock()
		w.all = append(w.all, ev)
		w.mu.Unlock()
	}
}

// The newest recovery point is restored; every long-running operation is
// polled through its Azure-AsyncOperation URL, waiting what Retry-After
// says (2 s, not the workflow's 10 s), and the job is polled by its ARM id.
func TestAzureRestoreLatest(t *testing.T) {
	env := startAzure(t, azurebackup.Config{RetryAfter: 2 * time.Second, OperationPolls: 2, JobPolls: 1})
	w := &waits{}
	doc := openDoc(t, azureFlow, engine.WithServer(azureSource, env.http.URL), engine.WithObserver(w))
	res, err := doc.Run(context.Background(), azureLatest, azureInputs(azureToken, "e2e"))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	newest := env.srv.RecoveryPointIDs()[0]
	if res.Outputs["recoveryPointId"] != newest || res.Outputs["jobStatus"] != azurebackup.JobCompleted {
		t.Errorf("outputs = %v", res.Outputs)
	}
	if next, _ := res.Outputs["olderPointsPage"].(string); !strings.Contains(next, "skipToken") {
		t.Errorf("the service pages (2 per page) but no nextLink was reported: %v", res.Outputs["olderPointsPage"])
	}
	env.checkRestoredFile(t, "e2e", newest)

	// Two operations × two InProgress polls wait the header's 2 s; the job
	// (no Retry-After) waits the workflow's retryAfter.
	var header, own int
	for _, ev := range w.all {
		switch {
		case ev.Reason == "Retry-After header" && ev.Duration == 2*time.Second:
			header++
		case ev.Reason == "retryAfter" && ev.StepID == "waitForJob" && ev.Duration == 10*time.Second:
			own++
		default:
			t.Errorf("unexpected wait %+v", ev)
		}
	}
	if header != 4 || own != 1 {
		t.Errorf("waits: %d on Retry-After, %d on retryAfter; want 4 and 1", header, own)
	}

	// The job id is a full ARM path: it went out percent-encoded as one
	// path segment of Jobs_Get.
	jobID, _ := res.Outputs["jobId"].(string)
	if !strings.HasPrefix(jobID, "/subscriptions/") {
		t.Fatalf("jobId = %q, want an ARM id", jobID)
	}
	escaped := strings.ReplaceAll(jobID, "/", "%2F")
	var found bool
	for _, r := range env.requests() {
		if strings.HasPrefix(r, "GET ") && strings.Contains(r, "/backupJobs/"+escaped+"?api-version=2021-07-01") {
			found = true
		}
	}
	if !found {
		t.Errorf("no Jobs_Get request with the escaped job id %s among %v", escaped, env.requests())
	}
}

// Through the CLI: an older recovery point (on the third page of the list)
// restored by id.
func TestAzureRestoreByIDCLI(t *testing.T) {
	env := startAzure(t, azurebackup.Config{})
	rp := env.srv.RecoveryPointIDs()[4]
	args := []string{azureFlow, "--workflow", azureByID, "--server", azureSource + "=" + env.http.URL, "--input", "recoveryPointId=" + rp}
	for k, v := range azureInputs(azureToken, "older") {
		args = append(args, "--input", k+"="+v.(string))
	}
	code, rep, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %+v %s", code, rep, stderr)
	}
	if out := rep.Workflows[0].Outputs; out["jobStatus"] != azurebackup.JobCompleted || !strings.HasSuffix(out["restoredFile"].(string), "/older_"+rp+".dump") {
		t.Errorf("outputs = %v", out)
	}
	env.checkRestoredFile(t, "older", rp)
	// The apiVersion default (in the allOf member of the inputs schema)
	// reached every request.
	for _, r := range env.requests() {
		if strings.Count(r, "api-version=2021-07-01") != 1 {
			t.Errorf("request without exactly one api-version=2021-07-01: %s", r)
		}
	}
}

// A wrong token is reported as a 401 at the first step, and nothing is
// restored.
func TestAzureUnauthorized(t *testing.T) {
	env := startAzure(t, azurebackup.Config{})
	doc := openDoc(t, azureFlow, engine.WithServer(azureSource, env.http.URL))
	_, err := doc.Run(context.Background(), azureLatest, azureInputs("wrong-token", "e2e"))
	var se *engine.StepError
	if !errors.As(err, &se) || se.StatusCode != http.StatusUnauthorized || se.StepID != "listRecoveryPoints" {
		t.Fatalf("want a 401 at listRecoveryPoints, got %v", err)
	}
	if !strings.Contains(se.Error(), "401") {
		t.Errorf("error does not say 401: %s", se.Error())
	}
	if entries, _ := os.ReadDir(env.srv.TargetDir()); len(entries) != 0 {
		t.Errorf("something was restored: %v", entries)
	}
}

// A restore whose target file exists fails validation: the workflow ends at
// the validation poll with the service's reason, and no restore is
// triggered.
func TestAzureValidationFails(t *testing.T) {
	env := startAzure(t, azurebackup.Config{})
	rp := env.srv.RecoveryPointIDs()[0]
	dir := filepath.Join(env.srv.TargetDir(), "testcontainerrestore")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "e2e_"+rp+".dump"), []byte("already here"), 0o644)
	doc := openDoc(t, azureFlow, engine.WithServer(azureSource, env.http.URL))
	res, err := doc.Run(context.Background(), azureLatest, azureInputs(azureToken, "e2e"))
	var se *engine.StepError
	if !errors.As(err, &se) || se.Kind != runner.KindWorkflow {
		t.Fatalf("want the nested workflow to fail, got %v", err)
	}
	if !strings.Contains(se.Error(), "waitForValidation") {
		t.Errorf("error does not name the validation step: %v", se)
	}
	nested := res.Steps[1]
	if nested.StepID != "restore" || nested.Status != runner.StatusFailed {
		t.Errorf("restore step = %+v", nested)
	}
	for _, r := range env.requests() {
		if strings.HasPrefix(r, "POST ") && strings.Contains(r, "/restore?") {
			t.Errorf("a restore was triggered after a failed validation: %s", r)
		}
	}
}
