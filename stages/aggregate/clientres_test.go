package aggregate

import (
	"reflect"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
)

func TestClientResourceFailuresAreInNoFigureOfThePlatform(t *testing.T) {
	exp := twoPlatforms()
	clean := append(latencies("metis", "m-a", 10, 100), latencies("sophia", "m-b", 10, 200)...)
	withClient := append([]results.Record(nil), clean...)
	for i := 10; i < 16; i++ {
		r := okRec("metis", "m-a", i, 900)
		r.Error, r.ErrorDetail = results.ErrClientResource, "Post \"http://x\": dial tcp 127.0.0.1:80: socket: too many open files"
		r.EM, r.F1, r.Content, r.Answer, r.OutputTokens = 0, 0, "", "", 0
		withClient = append(withClient, r)
	}
	r := okRec("metis", "m-a", 16, 900)
	r.Error, r.ErrorDetail = results.ErrClientResource, "dial tcp 10.0.0.1:443: connect: cannot assign requested address"
	withClient = append(withClient, r)

	want := mustAggregate(t, exp, clean)
	got := mustAggregate(t, exp, withClient)
	g := got.Groups[0]
	if g.Platform != "metis" || g.ClientErrors != 7 {
		t.Fatalf("group %s: client_errors %d, want 7", g.Platform, g.ClientErrors)
	}
	g.ClientErrors = 0
	if !reflect.DeepEqual(g, want.Groups[0]) {
		t.Errorf("the client's failures changed the platform's figures:\n got %+v\nwant %+v", g, want.Groups[0])
	}
	if !reflect.DeepEqual(got.Comparisons, want.Comparisons) {
		t.Errorf("the client's failures changed the comparison")
	}
	cr := got.ClientResource
	if cr == nil || cr.Requests != 7 || cr.Kinds[results.ClientFileDescriptors] != 6 || cr.Kinds[results.ClientEphemeralPorts] != 1 {
		t.Fatalf("client_resource summary %+v", cr)
	}
	warned := strings.Join(got.Warnings, "\n")
	for _, advice := range []string{"ulimit -n", "--shard", "lower the concurrency"} {
		if !strings.Contains(warned, advice) {
			t.Errorf("warnings do not advise %q:\n%s", advice, warned)
		}
	}
	if want.ClientResource != nil {
		t.Errorf("a run without client failures has a client_resource summary")
	}
}
