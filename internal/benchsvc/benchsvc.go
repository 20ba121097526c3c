// Package benchsvc is the workload of the performance benchmarks
// (docs/performance.md): a local service with the backup API shape, the
// Arazzo workflows that drive it, and a bare net/http client that sends the
// identical requests with the identical checks — the floor the engine is
// measured against.
//
// The service: POST /v1/databases/{db}/backups starts a backup (202); GET
// /v1/databases/{db}/backups lists it as "running" for Server.Polls calls,
// then as "completed"; POST /v1/databases/{db}/backups/{id}/restore starts
// a restore (202, 409 while the backup is not completed). POST
// /v1/stores/{store}/items serves the per-step overhead benchmark (201).
// Every route requires "Authorization: Bearer <Server.Token>".
package benchsvc

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
)

// File names of the workload documents written by WriteFiles.
const (
	// OpenAPIFile describes the service.
	OpenAPIFile = "backup.openapi.yaml"
	// PollFile holds workflow PollWorkflow: create, poll with retry
	// (retryAfter 0), restore — three steps.
	PollFile = "poll.arazzo.yaml"
	// StepFile holds workflow StepWorkflow: one step with two parameters,
	// a JSON body of five fields with runtime expressions, two success
	// criteria and two outputs.
	StepFile = "step.arazzo.yaml"
	// StepsWorkflow is the workflow id in StepFile that runs StepWorkflow's
	// step StepsCount times: the difference between the two is the
	// marginal cost of a step.
	StepsWorkflow = "createItems"
	// StepsCount is how many steps StepsWorkflow has.
	StepsCount = 5
	// PollWorkflow is the workflow id in PollFile.
	PollWorkflow = "backupAndRestore"
	// StepWorkflow is the workflow id in StepFile.
	StepWorkflow = "createItem"
	// Source is the source description name both documents use.
	Source = "backupApi"
	// PollRetryLimit is the retry limit of PollFile's poll step.
	PollRetryLimit = 1000000
)

//go:embed testdata/*.yaml
var files embed.FS

// WriteFiles writes the workload documents (OpenAPIFile, PollFile,
// StepFile) into dir, which must exist.
func WriteFiles(dir string) error {
	for _, name := range []string{OpenAPIFile, PollFile, StepFile} {
		data, err := files.ReadFile("testdata/" + name)
		if err != nil {
			return fmt.Errorf("benchsvc: embedded %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("benchsvc: writing the workload documents: %w", err)
		}
	}
	return nil
}

// Server is the backup service. The zero value needs no token and completes
// a backup on the first list call; set the fields before serving.
type Server struct {
	// Polls is how many list calls report a new backup as "running" before
	// the list reports it "completed".
	Polls int
	// Token is the bearer token every request must carry; "" accepts any.
	Token string

	mu  sync.Mutex
	dbs map[string]*backup // the latest backup per database
	seq atomic.Int64

	creates, lists, restores, items atomic.Int64

	muxOnce sync.Once
	mux     *http.ServeMux
	auth    string
}

type backup struct {
	id        string
	lists     int
	completed bool
}

// Counts is how many requests of each kind a Server answered successfully.
type Counts struct {
	Creates, Lists, Restores, Items int64
}

// Counts returns the request counts so far.
func (s *Server) Counts() Counts {
	return Counts{Creates: s.creates.Load(), Lists: s.lists.Load(), Restores: s.restores.Load(), Items: s.items.Load()}
}

var jsonCT = []string{"application/json"}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.muxOnce.Do(s.init)
	if s.Token != "" && r.Header.Get("Authorization") != s.auth {
		writeJSON(w, http.StatusUnauthorized, []byte(`{"error":"missing or wrong bearer token"}`))
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) init() {
	s.auth = "Bearer " + s.Token
	s.dbs = map[string]*backup{}
	m := http.NewServeMux()
	m.HandleFunc("POST /v1/databases/{db}/backups", s.create)
	m.HandleFunc("GET /v1/databases/{db}/backups", s.list)
	m.HandleFunc("POST /v1/databases/{db}/backups/{id}/restore", s.restore)
	m.HandleFunc("POST /v1/stores/{store}/items", s.item)
	s.mux = m
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header()["Content-Type"] = jsonCT
	w.WriteHeader(status)
	w.Write(body)
}

func badRequest(w http.ResponseWriter, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg})
	writeJSON(w, http.StatusBadRequest, b)
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Label  string `json:"label"`
		Reason string `json:"reason"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Label == "" {
		badRequest(w, "the body must be a JSON object with a label")
		return
	}
	id := "bk_" + strconv.FormatInt(s.seq.Add(1), 10)
	s.mu.Lock()
	s.dbs[r.PathValue("db")] = &backup{id: id}
	s.mu.Unlock()
	s.creates.Add(1)
	b := make([]byte, 0, 96)
	b = append(b, `{"id":`...)
	b = strconv.AppendQuote(b, id)
	b = append(b, `,"status":"running","label":`...)
	b = strconv.AppendQuote(b, req.Label)
	b = append(b, '}')
	writeJSON(w, http.StatusAccepted, b)
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	bk := s.dbs[r.PathValue("db")]
	var id string
	status, size := "running", 0
	if bk != nil {
		bk.lists++
		if bk.lists > s.Polls {
			bk.completed = true
		}
		if bk.completed {
			status, size = "completed", 1048576
		}
		id = bk.id
	}
	s.mu.Unlock()
	s.lists.Add(1)
	if bk == nil {
		writeJSON(w, http.StatusOK, []byte(`{"data":[],"hasMore":false}`))
		return
	}
	b := make([]byte, 0, 128)
	b = append(b, `{"data":[{"id":`...)
	b = strconv.AppendQuote(b, id)
	b = append(b, `,"status":"`...)
	b = append(b, status...)
	b = append(b, `","sizeBytes":`...)
	b = strconv.AppendInt(b, int64(size), 10)
	b = append(b, `}],"hasMore":false}`...)
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) restore(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	bk := s.dbs[r.PathValue("db")]
	ok := bk != nil && bk.id == id && bk.completed
	s.mu.Unlock()
	if !ok {
		b, _ := json.Marshal(map[string]string{"error": "backup " + id + " of this database is not completed"})
		writeJSON(w, http.StatusConflict, b)
		return
	}
	s.restores.Add(1)
	b := make([]byte, 0, 64)
	b = append(b, `{"status":"restoring","backupId":`...)
	b = strconv.AppendQuote(b, id)
	b = append(b, '}')
	writeJSON(w, http.StatusAccepted, b)
}

func (s *Server) item(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name     string  `json:"name"`
		StoreID  string  `json:"storeId"`
		Quantity int     `json:"quantity"`
		Price    float64 `json:"price"`
		Note     string  `json:"note"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		badRequest(w, "the body must be a JSON item: "+err.Error())
		return
	}
	if req.StoreID != r.PathValue("store") || req.Name == "" || req.Quantity <= 0 || req.Price <= 0 || req.Note == "" {
		badRequest(w, "the item needs a name, a positive quantity and price, a note, and the storeId of the path")
		return
	}
	s.items.Add(1)
	b := make([]byte, 0, 64)
	b = append(b, `{"id":"it_`...)
	b = strconv.AppendInt(b, s.seq.Add(1), 10)
	b = append(b, `","status":"created","quantity":`...)
	b = strconv.AppendInt(b, int64(req.Quantity), 10)
	b = append(b, '}')
	writeJSON(w, http.StatusCreated, b)
}

// Do serves one request in memory, without a network: the in-process
// counterpart of sending it to an httptest server. url is absolute or a
// path ("/v1/databases/db/backups").
func (s *Server) Do(method, url string, header http.Header, body []byte) (status int, h http.Header, respBody []byte, err error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("benchsvc: %s %s: %w", method, url, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.Bytes(), nil
}

// Bare is the floor: a hand-written net/http client that sends the poll
// workflow's requests and makes its checks (status compare, JSON decode,
// field compare), with nothing else.
type Bare struct {
	// Client sends the requests; nil means http.DefaultClient.
	Client *http.Client
	// BaseURL is the service root including /v1.
	BaseURL string
	// Token is sent as a bearer token.
	Token string
}

// PollResult is what BackupAndRestore found.
type PollResult struct {
	BackupID      string
	Lists         int // list calls made
	SizeBytes     int64
	RestoreStatus string
}

type backupJSON struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	SizeBytes int64  `json:"sizeBytes"`
}

func (c *Bare) do(method, url string, body []byte, want int, into any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("%s %s: reading the body: %w", method, url, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, url, resp.StatusCode, want, data)
	}
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("%s %s: decoding the body: %w", method, url, err)
	}
	return nil
}

// BackupAndRestore creates a backup of databaseID, lists backups until
// it is completed (at most retryLimit retries, none waiting), and
// restores from it: the requests and checks of PollWorkflow.
func (c *Bare) BackupAndRestore(databaseID string, retryLimit int) (PollResult, error) {
	var res PollResult
	base := c.BaseURL + "/databases/" + databaseID + "/backups"
	var created backupJSON
	if err := c.do(http.MethodPost, base, []byte(`{"label":"bench","reason":"benchmark"}`), http.StatusAccepted, &created); err != nil {
		return res, err
	}
	res.BackupID = created.ID
	for retries := 0; ; retries++ {
		var list struct {
			Data []backupJSON `json:"data"`
		}
		if err := c.do(http.MethodGet, base, nil, http.StatusOK, &list); err != nil {
			return res, err
		}
		res.Lists++
		if len(list.Data) > 0 && list.Data[0].ID == res.BackupID && list.Data[0].Status == "completed" {
			res.SizeBytes = list.Data[0].SizeBytes
			break
		}
		if len(list.Data) > 0 && list.Data[0].Status == "failed" {
			return res, fmt.Errorf("backup %s failed", res.BackupID)
		}
		if retries >= retryLimit {
			return res, fmt.Errorf("backup %s not completed after %d retries", res.BackupID, retries)
		}
	}
	var restored struct {
		Status string `json:"status"`
	}
	if err := c.do(http.MethodPost, base+"/"+res.BackupID+"/restore", nil, http.StatusAccepted, &restored); err != nil {
		return res, err
	}
	res.RestoreStatus = restored.Status
	return res, nil
}

// CreateItem sends StepWorkflow's request and makes its checks: status
// 201, status field "created"; it returns the two outputs.
func (c *Bare) CreateItem(storeID, name string, quantity int, price float64) (itemID string, qty int, err error) {
	body, err := json.Marshal(map[string]any{
		"name": name, "storeId": storeID, "quantity": quantity, "price": price,
		"note": "created in " + storeID + " by the benchmark",
	})
	if err != nil {
		return "", 0, err
	}
	var out struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Quantity int    `json:"quantity"`
	}
	if err := c.do(http.MethodPost, c.BaseURL+"/stores/"+storeID+"/items", body, http.StatusCreated, &out); err != nil {
		return "", 0, err
	}
	if out.Status != "created" {
		return "", 0, fmt.Errorf("item status %q, want created", out.Status)
	}
	return out.ID, out.Quantity, nil
}

// Median returns the median of xs (0 for none); xs is sorted in place.
func Median(xs []float64) float64 { return Percentile(xs, 50) }

// Percentile returns the p-th percentile (nearest rank) of xs (0 for
// none); xs is sorted in place.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	i := int(p/100*float64(len(xs))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(xs) {
		i = len(xs) - 1
	}
	return xs[i]
}
