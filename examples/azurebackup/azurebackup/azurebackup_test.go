package azurebackup

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/go-arazzo/arazzo/internal/testutil"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	token     = "test-token"
	sub       = "e3d2d341-4ddb-4c5d-9121-69b7e719485e"
	container = "testcontainerrestore"
)

type client struct {
	t    *testing.T
	base string
	srv  *Server
}

func newClient(t *testing.T, cfg Config) *client {
	t.Helper()
	cfg.Token = token
	if cfg.TargetDir == "" {
		cfg.TargetDir = t.TempDir()
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
	return &client{t: t, base: ts.URL, srv: s}
}

func (c *client) instancePath() string {
	return "/subscriptions/" + sub + "/resourceGroups/TestBkpVaultRG/providers/Microsoft.DataProtection/backupVaults/testBkpVault/backupInstances/pgflextestserver-857d23b1-c679-4c94-ade6-c4d34635e149"
}

// do sends a request with the bearer token; target may be absolute or a path.
func (c *client) do(method, target string, body any) (*http.Response, []byte) {
	c.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = c.base + target
	}
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, target, r)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, b
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("bad JSON %q: %v", b, err)
	}
	return v
}

type operationBody struct {
	ID, Name, Status, StartTime, EndTime string
	Error                                *errorDetail
	Properties                           *struct{ JobID, ObjectType string }
}

type jobBody struct {
	ID, Name   string
	Properties struct {
		Status, OperationCategory, StartTime, EndTime string
		ErrorDetails                                  []errorDetail
		ExtendedInfo                                  struct{ RecoveryDestination string }
	}
}

func restoreRequestBody(rp, url, prefix string) map[string]any {
	return map[string]any{
		"objectType":          "AzureBackupRecoveryPointBasedRestoreRequest",
		"sourceDataStoreType": "VaultStore",
		"recoveryPointId":     rp,
		"restoreTargetInfo": map[string]any{
			"objectType":      "RestoreFilesTargetInfo",
			"recoveryOption":  "FailIfExists",
			"restoreLocation": "westus",
			"targetDetails": map[string]any{
				"url":                       url,
				"filePrefix":                prefix,
				"restoreTargetLocationType": "AzureBlobs",
			},
		},
	}
}

func validateBody(rp, url, prefix string) map[string]any {
	return map[string]any{"objectType": "ValidateRestoreRequestObject", "restoreRequestObject": restoreRequestBody(rp, url, prefix)}
}

// start posts an LRO request, checks the 202 headers and returns the
// Azure-AsyncOperation and Location URLs.
func (c *client) start(op string, body any) (status, location string) {
	c.t.Helper()
	resp, b := c.do("POST", c.instancePath()+"/"+op+"?api-version=2021-07-01", body)
	if resp.StatusCode != http.StatusAccepted || len(b) != 0 {
		c.t.Fatalf("%s: %d %q, want 202 with an empty body", op, resp.StatusCode, b)
	}
	status, location = resp.Header.Get("Azure-AsyncOperation"), resp.Header.Get("Location")
	wantStatus := c.base + "/subscriptions/" + sub + "/providers/Microsoft.DataProtection/locations/westus/operationStatus/"
	wantLoc := c.base + "/subscriptions/" + sub + "/providers/Microsoft.DataProtection/locations/westus/operationResults/"
	if !strings.HasPrefix(status, wantStatus) || !strings.HasSuffix(status, "?api-version=2021-07-01") {
		c.t.Errorf("Azure-AsyncOperation %q", status)
	}
	if !strings.HasPrefix(location, wantLoc) || !strings.HasSuffix(location, "?api-version=2021-07-01") {
		c.t.Errorf("Location %q", location)
	}
	if ra := resp.Header.Get("Retry-After"); ra != "0" {
		c.t.Errorf("Retry-After %q, want 0", ra)
	}
	return status, location
}

// poll GETs the status URL until a terminal status, honouring Retry-After,
// and returns the statuses seen and the final body.
func (c *client) poll(statusURL string) ([]string, operationBody) {
	c.t.Helper()
	var seen []string
	for range 20 {
		resp, b := c.do("GET", statusURL, nil)
		if resp.StatusCode != 200 {
			c.t.Fatalf("poll: %d %s", resp.StatusCode, b)
		}
		op := decode[operationBody](c.t, b)
		seen = append(seen, op.Status)
		if op.Status != StatusInProgress {
			return seen, op
		}
		if op.EndTime != "0001-01-01T00:00:00Z" {
			c.t.Errorf("in-progress endTime %q", op.EndTime)
		}
		secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil {
			c.t.Fatalf("in-progress poll without a numeric Retry-After: %q", resp.Header.Get("Retry-After"))
		}
		time.Sleep(time.Duration(secs) * time.Second)
	}
	c.t.Fatal("operation never finished")
	return nil, operationBody{}
}

func (c *client) listRecoveryPoints() []string {
	c.t.Helper()
	var ids []string
	var last time.Time
	next := c.instancePath() + "/recoveryPoints?api-version=2021-07-01"
	pages := 0
	for next != "" {
		resp, b := c.do("GET", next, nil)
		if resp.StatusCode != 200 {
			c.t.Fatalf("list: %d %s", resp.StatusCode, b)
		}
		page := decode[struct {
			Value []struct {
				ID         string
				Properties struct{ RecoveryPointID, RecoveryPointTime, FriendlyName, ObjectType, RecoveryPointType string }
			}
			NextLink string
		}](c.t, b)
		pages++
		for _, v := range page.Value {
			p := v.Properties
			tm, err := time.Parse(time.RFC3339Nano, p.RecoveryPointTime)
			if err != nil || p.FriendlyName == "" || p.ObjectType != "AzureBackupDiscreteRecoveryPoint" || p.RecoveryPointType != "Full" {
				c.t.Errorf("malformed recovery point %+v (%v)", p, err)
			}
			if !last.IsZero() && !tm.Before(last) {
				c.t.Errorf("recovery points not newest first: %v after %v", tm, last)
			}
			last = tm
			if !strings.HasSuffix(v.ID, "/recoveryPoints/"+p.RecoveryPointID) {
				c.t.Errorf("id %q", v.ID)
			}
			ids = append(ids, p.RecoveryPointID)
		}
		if page.NextLink != "" && !strings.HasPrefix(page.NextLink, c.base+"/subscriptions/") {
			c.t.Fatalf("nextLink %q is not absolute on this host", page.NextLink)
		}
		next = page.NextLink
	}
	if pages != 3 {
		c.t.Errorf("%d pages for 5 points of 2, want 3", pages)
	}
	return ids
}

func TestFullRestoreFlow(t *testing.T) {
	c := newClient(t, Config{OperationPolls: 2, JobPolls: 1})
	ids := c.listRecoveryPoints()
	if fmt.Sprint(ids) != fmt.Sprint(c.srv.RecoveryPointIDs()) || len(ids) != 5 {
		t.Fatalf("listed %v, want %v", ids, c.srv.RecoveryPointIDs())
	}
	if ids[0] != "eb006fde78cb47198be5a320fbe45e9b" {
		t.Errorf("newest point %s, want the seed's", ids[0])
	}
	rp := ids[1] // not the newest, so a wrong pick shows in the bytes
	target := "https://testossstorageaccount.blob.core.windows.net/" + container

	statusURL, _ := c.start("validateRestore", validateBody(rp, target, "testprefix"))
	seen, op := c.poll(statusURL)
	if fmt.Sprint(seen) != "[InProgress InProgress Succeeded]" {
		t.Errorf("validate statuses %v", seen)
	}
	if op.Error != nil || op.Properties != nil || op.EndTime == "0001-01-01T00:00:00Z" {
		t.Errorf("validate final %+v", op)
	}

	statusURL, locURL := c.start("restore", restoreRequestBody(rp, target, "testprefix"))
	resp, b := c.do("GET", locURL, nil)
	if resp.StatusCode != 202 || resp.Header.Get("Location") == "" || resp.Header.Get("Retry-After") != "0" {
		t.Errorf("operationResults while running: %d %v %s", resp.StatusCode, resp.Header, b)
	}
	seen, op = c.poll(statusURL)
	if fmt.Sprint(seen) != "[InProgress Succeeded]" { // the Location poll counted too
		t.Errorf("restore statuses %v", seen)
	}
	if op.Properties == nil || op.Properties.ObjectType != "OperationJobExtendedInfo" {
		t.Fatalf("restore final status lacks job info: %+v", op)
	}
	jobID := op.Properties.JobID
	wantPrefix := "/subscriptions/" + sub + "/resourceGroups/TestBkpVaultRG/providers/Microsoft.DataProtection/backupVaults/testBkpVault/backupJobs/"
	if !strings.HasPrefix(jobID, wantPrefix) {
		t.Fatalf("jobId %q", jobID)
	}
	resp, b = c.do("GET", locURL, nil)
	if resp.StatusCode != 200 || decode[map[string]string](t, b)["jobId"] != jobID {
		t.Errorf("operationResults when done: %d %s", resp.StatusCode, b)
	}

	file := filepath.Join(c.srv.TargetDir(), container, "testprefix_"+rp+".dump")
	jobURL := jobID + "?api-version=2021-07-01"
	var statuses []string
	var job jobBody
	for range 5 {
		resp, b := c.do("GET", jobURL, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("Jobs_Get: %d %s", resp.StatusCode, b)
		}
		job = decode[jobBody](t, b)
		statuses = append(statuses, job.Properties.Status)
		if job.Properties.Status == StatusInProgress {
			if _, err := os.Stat(file); err == nil {
				t.Error("file exists before the job completed")
			}
			continue
		}
		break
	}
	if fmt.Sprint(statuses) != "[InProgress Completed]" {
		t.Errorf("job statuses %v", statuses)
	}
	p := job.Properties
	if p.OperationCategory != "Restore" || p.EndTime == "" || p.StartTime == "" || job.ID != jobID || job.Name != path.Base(jobID) {
		t.Errorf("job %+v", job)
	}
	if want := target + "/testprefix_" + rp + ".dump"; p.ExtendedInfo.RecoveryDestination != want {
		t.Errorf("recoveryDestination %q, want %q", p.ExtendedInfo.RecoveryDestination, want)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := c.srv.RecoveryPointBytes(rp)
	if !bytes.Equal(got, want) || !bytes.Contains(got, []byte("PostgreSQL database dump")) {
		t.Error("restored file differs from the recovery point's bytes")
	}
	if other, _ := c.srv.RecoveryPointBytes(ids[0]); bytes.Equal(other, want) {
		t.Error("recovery points share content")
	}
	if st, ok := c.srv.JobStatus(job.Name); !ok || st != JobCompleted {
		t.Errorf("JobStatus = %q %v", st, ok)
	}

	// The full ARM id, escaped into one segment, also finds the job.
	resp, _ = c.do("GET", "/subscriptions/"+sub+"/resourceGroups/TestBkpVaultRG/providers/Microsoft.DataProtection/backupVaults/testBkpVault/backupJobs/"+url.PathEscape(jobID), nil)
	if resp.StatusCode != 200 {
		t.Errorf("Jobs_Get by escaped ARM id: %d", resp.StatusCode)
	}

	// FailIfExists: validating the same restore again now fails.
	statusURL, _ = c.start("validateRestore", validateBody(rp, target, "testprefix"))
	if _, op := c.poll(statusURL); op.Status != StatusFailed || op.Error == nil || op.Error.Code != "UserErrorRestoreTargetAlreadyExists" {
		t.Errorf("re-validate: %+v", op)
	}
}

func TestFailedOperations(t *testing.T) {
	c := newClient(t, Config{OperationPolls: 1})
	rp := c.srv.RecoveryPointIDs()[0]
	good := "https://acct1.blob.core.windows.net/" + container
	cases := []struct {
		name, op string
		body     map[string]any
		code     string
	}{
		{"unknown recovery point", "validateRestore", validateBody("deadbeef", good, "p"), "UserErrorRecoveryPointNotFound"},
		{"unknown recovery point restore", "restore", restoreRequestBody("deadbeef", good, "p"), "UserErrorRecoveryPointNotFound"},
		{"not a blob host", "restore", restoreRequestBody(rp, "https://evil.example.com/"+container, "p"), "UserErrorInvalidRestoreTarget"},
		{"http scheme", "validateRestore", validateBody(rp, "http://acct1.blob.core.windows.net/"+container, "p"), "UserErrorInvalidRestoreTarget"},
		{"container escape", "restore", restoreRequestBody(rp, "https://acct1.blob.core.windows.net/../../etc", "p"), "UserErrorInvalidRestoreTarget"},
		{"nested path", "restore", restoreRequestBody(rp, "https://acct1.blob.core.windows.net/abc/def", "p"), "UserErrorInvalidRestoreTarget"},
		{"prefix escape", "restore", restoreRequestBody(rp, good, "../../x"), "UserErrorInvalidRestoreTarget"},
		{"prefix slash", "restore", restoreRequestBody(rp, good, "a/b"), "UserErrorInvalidRestoreTarget"},
		{"empty prefix", "restore", restoreRequestBody(rp, good, ""), "UserErrorInvalidRestoreTarget"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			statusURL, locURL := c.start(tc.op, tc.body)
			seen, op := c.poll(statusURL)
			if fmt.Sprint(seen) != "[InProgress Failed]" || op.Error == nil || op.Error.Code != tc.code || op.Error.Message == "" {
				t.Fatalf("statuses %v, final %+v; want Failed with %s", seen, op, tc.code)
			}
			if op.Properties != nil {
				t.Error("a failed operation carries a job")
			}
			resp, b := c.do("GET", locURL, nil)
			if resp.StatusCode != 400 || decode[cloudError](t, b).Error.Code != tc.code {
				t.Errorf("operationResults of a failed operation: %d %s", resp.StatusCode, b)
			}
		})
	}
	c.t = t
	entries, _ := os.ReadDir(c.srv.TargetDir())
	if len(entries) != 0 {
		t.Errorf("failed restores wrote %v", entries)
	}
	// Wrong sourceDataStoreType in an otherwise fine request.
	body := restoreRequestBody(rp, good, "p")
	body["sourceDataStoreType"] = "ArchiveStore"
	statusURL, _ := c.start("restore", body)
	if _, op := c.poll(statusURL); op.Status != StatusFailed {
		t.Errorf("ArchiveStore: %+v", op)
	}
}

func TestRequestErrors(t *testing.T) {
	c := newClient(t, Config{})
	for _, tc := range []struct {
		name, method, path, body string
		authz                    string
		status                   int
		code                     string
	}{
		{"no auth", "GET", c.instancePath() + "/recoveryPoints", "", "-", 401, "AuthenticationFailed"},
		{"wrong token", "GET", c.instancePath() + "/recoveryPoints", "", "Bearer nope", 401, "AuthenticationFailed"},
		{"basic auth", "GET", c.instancePath() + "/recoveryPoints", "", "Basic " + token, 401, "AuthenticationFailed"},
		{"wrong vault", "GET", strings.Replace(c.instancePath(), "testBkpVault", "otherVault", 1) + "/recoveryPoints", "", "", 404, "ResourceNotFound"},
		{"wrong instance", "GET", c.instancePath() + "x/recoveryPoints", "", "", 404, "ResourceNotFound"},
		{"wrong subscription", "GET", strings.Replace(c.instancePath(), sub, "00000000-0000-0000-0000-000000000000", 1) + "/recoveryPoints", "", "", 404, "SubscriptionNotFound"},
		{"bad json", "POST", c.instancePath() + "/validateRestore", "{", "", 400, "InvalidRequestContent"},
		{"not wrapped", "POST", c.instancePath() + "/validateRestore", `{"objectType":"AzureBackupRecoveryPointBasedRestoreRequest"}`, "", 400, "InvalidRequestContent"},
		{"restore no objectType", "POST", c.instancePath() + "/restore", `{}`, "", 400, "InvalidRequestContent"},
		{"bad skip token", "GET", c.instancePath() + "/recoveryPoints?$skipToken=x", "", "", 400, "InvalidSkipToken"},
		{"unknown operation", "GET", "/subscriptions/" + sub + "/providers/Microsoft.DataProtection/locations/westus/operationStatus/nope", "", "", 404, "OperationNotFound"},
		{"unknown job", "GET", "/subscriptions/" + sub + "/resourceGroups/TestBkpVaultRG/providers/Microsoft.DataProtection/backupVaults/testBkpVault/backupJobs/nope", "", "", 404, "ResourceNotFound"},
		{"wrong method", "DELETE", c.instancePath() + "/recoveryPoints", "", "", 405, "MethodNotAllowed"},
		{"no route", "GET", "/subscriptions/" + sub + "/whatever", "", "", 404, "InvalidResourceType"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, c.base+tc.path, strings.NewReader(tc.body))
			switch tc.authz {
			case "":
				req.Header.Set("Authorization", "Bearer "+token)
			case "-":
			default:
				req.Header.Set("Authorization", tc.authz)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || decode[cloudError](t, b).Error.Code != tc.code {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, b, tc.status, tc.code)
			}
		})
	}
}

func TestCaseInsensitivePathsAndDefaults(t *testing.T) {
	c := newClient(t, Config{})
	// The seed's own example spells it "ValidateRestore"; no api-version at all.
	p := strings.ToLower(c.instancePath()) + "/ValidateRestore"
	resp, _ := c.do("POST", p, validateBody(c.srv.RecoveryPointIDs()[0], "https://acct1.blob.core.windows.net/"+container, "p"))
	if resp.StatusCode != 202 || !strings.HasSuffix(resp.Header.Get("Azure-AsyncOperation"), "?api-version="+DefaultAPIVersion) {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	// Zero polls configured: the first poll already answers the final status.
	if seen, _ := c.poll(resp.Header.Get("Azure-AsyncOperation")); fmt.Sprint(seen) != "[Succeeded]" {
		t.Errorf("statuses %v", seen)
	}
}

func TestOperationDelay(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := newClient(t, Config{Now: clock, OperationDelay: time.Minute, RetryAfter: 0})
	statusURL, _ := c.start("validateRestore", validateBody(c.srv.RecoveryPointIDs()[0], "https://acct1.blob.core.windows.net/"+container, "p"))
	for range 3 {
		if _, b := c.do("GET", statusURL, nil); decode[operationBody](t, b).Status != StatusInProgress {
			t.Fatal("finished before its delay")
		}
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if _, b := c.do("GET", statusURL, nil); decode[operationBody](t, b).Status != StatusSucceeded {
		t.Fatal("not finished after its delay")
	}
}

func TestConcurrentRestores(t *testing.T) {
	c := newClient(t, Config{OperationPolls: 1, JobPolls: 1})
	ids := c.srv.RecoveryPointIDs()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rp := ids[i%len(ids)]
			body := restoreRequestBody(rp, "https://acct1.blob.core.windows.net/"+container, fmt.Sprintf("run%d", i))
			b, _ := json.Marshal(body)
			req, _ := http.NewRequest("POST", c.base+c.instancePath()+"/restore", bytes.NewReader(b))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			status := resp.Header.Get("Azure-AsyncOperation")
			var jobID string
			// Several pollers race on the same operation and job.
			for jobID == "" {
				var inner sync.WaitGroup
				var mu sync.Mutex
				for range 3 {
					inner.Add(1)
					go func() {
						defer inner.Done()
						r, err := http.NewRequest("GET", status, nil)
						if err != nil {
							t.Error(err)
							return
						}
						r.Header.Set("Authorization", "Bearer "+token)
						resp, err := http.DefaultClient.Do(r)
						if err != nil {
							t.Error(err)
							return
						}
						var op operationBody
						json.NewDecoder(resp.Body).Decode(&op)
						resp.Body.Close()
						if op.Properties != nil {
							mu.Lock()
							jobID = op.Properties.JobID
							mu.Unlock()
						}
					}()
				}
				inner.Wait()
			}
			for range 4 {
				r, _ := http.NewRequest("GET", c.base+jobID, nil)
				r.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(r)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}
			if st, _ := c.srv.JobStatus(path.Base(jobID)); st != JobCompleted {
				t.Errorf("job %s: %s", jobID, st)
			}
			got, err := os.ReadFile(filepath.Join(c.srv.TargetDir(), container, fmt.Sprintf("run%d_%s.dump", i, rp)))
			want, _ := c.srv.RecoveryPointBytes(rp)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("restore %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
}

func TestNewRequiresToken(t *testing.T) {
	if s, err := New(Config{}); err == nil {
		s.Close()
		t.Fatal("New accepted an empty token")
	}
	s, err := New(Config{Token: "x"})
	if err != nil {
		t.Fatal(err)
	}
	dir := s.TargetDir()
	s.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("temporary target dir %s survives Close", dir)
	}
}

func TestOpenAPI(t *testing.T) {
	canonical, err := os.ReadFile(filepath.Join(testutil.ModuleRoot(t), "workflows", "openapi", "azure-dataprotection-openapi.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(canonical, openAPIYAML) {
		t.Fatal("examples/azurebackup/azurebackup/openapi.yml differs from workflows/openapi/azure-dataprotection-openapi.yml: copy the canonical file over it")
	}
	c := newClient(t, Config{})
	resp, err := http.Get(c.base + "/openapi.json") // no token needed
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Paths map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	ids := map[string]bool{}
	for _, ops := range doc.Paths {
		for _, op := range ops {
			if id, ok := op["operationId"].(string); ok {
				ids[id] = true
			}
		}
	}
	for _, id := range []string{"RecoveryPoints_List", "BackupInstances_ValidateForRestore", "BackupInstances_TriggerRestore", "OperationStatus_Get", "OperationResult_Get", "Jobs_Get"} {
		if !ids[id] {
			t.Errorf("operationId %s missing", id)
		}
	}
}
