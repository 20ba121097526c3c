package runner_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/runner"
)

// credParams sends every kind of credential the engine confines, and one
// ordinary header that must always arrive.
const credParams = `        parameters:
          - {name: Authorization, in: header, value: Bearer tok-1}
          - {name: X-Token, in: header, value: apikey-2}
          - {name: X-API-Key, in: header, value: key-3}
          - {name: Proxy-Authorization, in: header, value: Basic cHJveHk=}
          - {name: session, in: cookie, value: cookie-4}
          - {name: api_key, in: query, value: q-5}
          - {name: X-Trace, in: header, value: trace-6}
`

// recorder is a server that records the requests it receives.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (rc *recorder) handler(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, r.Clone(context.Background()))
		rc.mu.Unlock()
		if next != nil {
			next(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true}`)
	}
}

func (rc *recorder) last(t *testing.T) *http.Request {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.reqs) == 0 {
		t.Fatal("the server received no request")
	}
	return rc.reqs[len(rc.reqs)-1]
}

// leaked lists the credentials r carries.
func leaked(r *http.Request) []string {
	var out []string
	for _, h := range []string{"Authorization", "X-Token", "X-Api-Key", "Proxy-Authorization", "Cookie"} {
		if r.Header.Get(h) != "" {
			out = append(out, h)
		}
	}
	if r.URL.Query().Has("api_key") {
		out = append(out, "api_key")
	}
	return out
}

// TestGoRedirectStrippingIsNotEnough records what net/http alone strips on
// a redirect, which is why HTTPSender strips more: Go drops Authorization
// and Cookie only when the host name changes (not the port), and never
// drops X-API-Key or apiKey headers.
func TestGoRedirectStrippingIsNotEnough(t *testing.T) {
	var b recorder
	srvB := httptest.NewServer(b.handler(nil))
	defer srvB.Close()
	portB := srvB.Listener.Addr().(*net.TCPAddr).Port
	for _, target := range []string{fmt.Sprintf("http://127.0.0.1:%d", portB), fmt.Sprintf("http://localhost:%d", portB)} {
		srvA := httptest.NewServer(http.RedirectHandler(target+"/landing", http.StatusTemporaryRedirect))
		req, _ := http.NewRequest("GET", srvA.URL, nil)
		req.Header.Set("Authorization", "Bearer tok-1")
		req.Header.Set("X-API-Key", "key-3")
		resp, err := (&http.Client{}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srvA.Close()
		got := leaked(b.last(t))
		if strings.Contains(target, "127.0.0.1") && fmt.Sprint(got) != "[Authorization X-Api-Key]" {
			t.Errorf("same host name, other port: Go forwarded %v (expected it to forward both)", got)
		}
		if strings.Contains(target, "localhost") && fmt.Sprint(got) != "[X-Api-Key]" {
			t.Errorf("other host name: Go forwarded %v (expected only X-Api-Key)", got)
		}
	}
}

func TestRedirectToOtherHostDropsCredentials(t *testing.T) {
	var b recorder
	srvB := httptest.NewServer(b.handler(nil))
	defer srvB.Close()
	portB := srvB.Listener.Addr().(*net.TCPAddr).Port
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			target := fmt.Sprintf("http://%s:%d/landing", host, portB)
			var a recorder
			srvA := httptest.NewServer(a.handler(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target, http.StatusTemporaryRedirect)
			}))
			defer srvA.Close()
			res, _, events := faultRun(t, srvA.URL, faultFlow("getThing", credParams, ""), nil)
			if res.Status != runner.StatusSucceeded {
				t.Fatalf("run: %v", res.Error)
			}
			if got := leaked(a.last(t)); len(got) != 6 {
				t.Errorf("the source's own server got only %v: credentials must reach it", got)
			}
			got := b.last(t)
			if l := leaked(got); len(l) > 0 {
				t.Errorf("credentials %v followed the redirect to %s", l, target)
			}
			if got.Header.Get("X-Trace") != "trace-6" {
				t.Errorf("an ordinary header was dropped: %v", got.Header)
			}
			note := attemptOf(t, events).Response.Notes
			want := "dropped Authorization, Cookie, Proxy-Authorization, X-Api-Key, X-Token on the redirect to " + fmt.Sprintf("%s:%d", host, portB)
			if len(note) != 1 || !strings.HasPrefix(note[0], want) {
				t.Errorf("response notes %q, want one starting %q", note, want)
			}
		})
	}
}

func TestRedirectHTTPSToHTTPRefused(t *testing.T) {
	var b recorder
	plain := httptest.NewServer(b.handler(nil))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.RedirectHandler(plain.URL+"/x", http.StatusFound))
	defer secure.Close()
	res, _, _ := faultRun(t, secure.URL, faultFlow("getThing", credParams, ""), func(o *runner.Options) { o.HTTP.Insecure = true })
	wantFailure(t, res, runner.KindTransport, "refused redirect to "+plain.URL+"/x: it would downgrade https to http")
	if len(b.reqs) != 0 || res.Steps[0].TransportRetries != 0 {
		t.Errorf("the http server got %d requests, %d retries", len(b.reqs), res.Steps[0].TransportRetries)
	}
}

// An x-operation URL may address a host allowed with --allow-host, but the
// credentials of the step's source do not go there.
func TestXOperationToAllowedHostGetsNoCredentials(t *testing.T) {
	var src, other recorder
	srvSrc := httptest.NewServer(src.handler(nil))
	defer srvSrc.Close()
	srvOther := httptest.NewServer(other.handler(nil))
	defer srvOther.Close()
	otherHost := strings.TrimPrefix(srvOther.URL, "http://")
	flow := func(u string) string {
		return strings.Replace(faultFlow("getThing", credParams, ""), "        operationId: getThing\n",
			"        x-operation: {method: GET, url: '"+u+"'}\n", 1)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	res, _, events := faultRun(t, srvSrc.URL, flow(srvOther.URL+"/elsewhere"), func(o *runner.Options) {
		o.AllowHosts = []string{otherHost}
		o.Logger = logger
	})
	if res.Status != runner.StatusSucceeded {
		t.Fatalf("run: %v", res.Error)
	}
	got := other.last(t)
	if l := leaked(got); len(l) > 0 {
		t.Errorf("credentials %v sent to the allowed but foreign host %s", l, otherHost)
	}
	if got.Header.Get("X-Trace") != "trace-6" {
		t.Errorf("an ordinary header was dropped: %v", got.Header)
	}
	notes := attemptOf(t, events).Request.Notes
	want := "dropped Authorization, Cookie, Proxy-Authorization, X-Api-Key, X-Token, query parameter api_key: " + otherHost + " is not the server of the step's source"
	if len(notes) != 1 || !strings.HasPrefix(notes[0], want) {
		t.Errorf("request notes %q, want %q…", notes, want)
	}
	if !strings.Contains(logs.String(), "credentials not sent") {
		t.Errorf("no warning logged: %s", logs.String())
	}

	// A relative x-operation URL goes to the source's server: credentials
	// go with it.
	res, _, _ = faultRun(t, srvSrc.URL, flow("/here"), nil)
	if res.Status != runner.StatusSucceeded {
		t.Fatalf("run: %v", res.Error)
	}
	if l := leaked(src.last(t)); len(l) != 6 {
		t.Errorf("the source's server got only %v", l)
	}
}

func attemptOf(t *testing.T, events []runner.Event) runner.StepAttempt {
	t.Helper()
	for _, e := range events {
		if a, ok := e.(runner.StepAttempt); ok {
			return a
		}
	}
	t.Fatal("no StepAttempt event")
	return runner.StepAttempt{}
}

// testPKI is a CA and a client certificate it signed, made for the test.
type testPKI struct {
	pool       *x509.CertPool
	clientCert tls.Certificate
	certPEM    []byte
	keyPEM     []byte
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "arazzo test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "arazzo-test-client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := &testPKI{pool: x509.NewCertPool()}
	p.pool.AddCert(caCert)
	p.certPEM = pemBlock("CERTIFICATE", der)
	p.keyPEM = pemBlock("EC PRIVATE KEY", keyDER)
	if p.clientCert, err = tls.X509KeyPair(p.certPEM, p.keyPEM); err != nil {
		t.Fatal(err)
	}
	return p
}

// mtlsServer requires a client certificate signed by pki's CA and answers
// with its common name.
func mtlsServer(pki *testPKI, auth tls.ClientAuthType) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cn := ""
		if len(r.TLS.PeerCertificates) > 0 {
			cn = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"client":%q}`, cn)
	}))
	srv.TLS = &tls.Config{ClientAuth: auth, ClientCAs: pki.pool}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.StartTLS()
	return srv
}

func TestTLSVerifiedByDefault(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	res, _, _ := faultRun(t, srv.URL, faultFlow("getThing", "", ""), nil)
	wantFailure(t, res, runner.KindTransport, "certificate")
	if res.Steps[0].TransportRetries != 0 {
		t.Errorf("a certificate error was retried %d times", res.Steps[0].TransportRetries)
	}
	res, _, _ = faultRun(t, srv.URL, faultFlow("getThing", "", ""), func(o *runner.Options) { o.HTTP.Insecure = true })
	if res.Status != runner.StatusSucceeded {
		t.Errorf("with Insecure: %v", res.Error)
	}
}

func TestClientCertificatePerHost(t *testing.T) {
	pki := newTestPKI(t)
	required := mtlsServer(pki, tls.RequireAndVerifyClientCert)
	defer required.Close()
	optional := mtlsServer(pki, tls.VerifyClientCertIfGiven)
	defer optional.Close()
	reqHost := strings.TrimPrefix(required.URL, "https://")
	outs := "        outputs: {out: $response.body#/client}\n"

	// The certificate is presented to its host (host:port key) …
	certs := map[string]tls.Certificate{reqHost: pki.clientCert}
	res, _, _ := faultRun(t, required.URL, faultFlow("getThing", "", outs), func(o *runner.Options) {
		o.HTTP.Insecure, o.HTTP.ClientCerts = true, certs
	})
	if res.Status != runner.StatusSucceeded || res.Outputs["out"] != "arazzo-test-client" {
		t.Fatalf("mTLS run: %s %v, client %v", res.Status, res.Error, res.Outputs["out"])
	}
	// … or to every port of a host name key …
	res, _, _ = faultRun(t, required.URL, faultFlow("getThing", "", outs), func(o *runner.Options) {
		o.HTTP.Insecure, o.HTTP.ClientCerts = true, map[string]tls.Certificate{"127.0.0.1": pki.clientCert}
	})
	if res.Status != runner.StatusSucceeded {
		t.Errorf("host-name key: %v", res.Error)
	}
	// … and to no other host: the server on another port sees none.
	res, _, _ = faultRun(t, optional.URL, faultFlow("getThing", "", outs), func(o *runner.Options) {
		o.HTTP.Insecure, o.HTTP.ClientCerts = true, certs
	})
	if res.Status != runner.StatusSucceeded || res.Outputs["out"] != "" {
		t.Errorf("the certificate for %s was presented to %s: %v %v", reqHost, optional.URL, res.Outputs["out"], res.Error)
	}
	// Without it, the server requiring one refuses the handshake.
	res, _, _ = faultRun(t, required.URL, faultFlow("getThing", "", outs), func(o *runner.Options) {
		o.HTTP.Insecure = true
		o.HTTP.ClientCerts = map[string]tls.Certificate{"localhost": pki.clientCert}
	})
	wantFailure(t, res, runner.KindTransport, "certificate")
	if res.Steps[0].TransportRetries != 0 {
		t.Errorf("a refused handshake was retried %d times", res.Steps[0].TransportRetries)
	}
}

// A caller's Client keeps its own trust settings; ClientCerts apply to a
// clone of its transport, never to the caller's transport itself.
func TestClientCertWithCallerClient(t *testing.T) {
	pki := newTestPKI(t)
	srv := mtlsServer(pki, tls.RequireAndVerifyClientCert)
	defer srv.Close()
	client := srv.Client() // trusts the server's certificate
	before := client.Transport.(*http.Transport).TLSClientConfig.Certificates
	u, _ := url.Parse(srv.URL)
	res, _, _ := faultRun(t, srv.URL, faultFlow("getThing", "", "        outputs: {out: $response.body#/client}\n"), func(o *runner.Options) {
		o.HTTP.Client = client
		o.HTTP.ClientCerts = map[string]tls.Certificate{u.Host: pki.clientCert}
	})
	if res.Status != runner.StatusSucceeded || res.Outputs["out"] != "arazzo-test-client" {
		t.Fatalf("run: %s %v", res.Status, res.Error)
	}
	if after := client.Transport.(*http.Transport).TLSClientConfig.Certificates; len(after) != len(before) {
		t.Errorf("the caller's transport was modified")
	}
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// An absolute x-operation URL to a host the run was not told about is
// refused before anything is sent.
func TestXOperationToUnknownHostRefused(t *testing.T) {
	var src, other recorder
	srvSrc := httptest.NewServer(src.handler(nil))
	defer srvSrc.Close()
	srvOther := httptest.NewServer(other.handler(nil))
	defer srvOther.Close()
	flow := strings.Replace(faultFlow("getThing", credParams, ""), "        operationId: getThing\n",
		"        x-operation: {method: GET, url: '"+srvOther.URL+"/steal'}\n", 1)
	res, _, _ := faultRun(t, srvSrc.URL, flow, nil)
	host := strings.TrimPrefix(srvOther.URL, "http://")
	wantFailure(t, res, runner.KindHost, "refused to send a request to host "+host, "--allow-host "+host)
	if len(other.reqs) != 0 || len(src.reqs) != 0 {
		t.Errorf("requests were sent: %d to the unknown host, %d to the source", len(other.reqs), len(src.reqs))
	}
}
