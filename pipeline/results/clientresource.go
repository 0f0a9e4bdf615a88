package results

import (
	"fmt"
	"sort"
	"strings"
)

// ClientResourceSummary sums up the records of a run that failed with
// ErrClientResource, by kind of resource, with the advice that fits.
type ClientResourceSummary struct {
	// Requests is the number of such (non-warmup) records.
	Requests int `json:"requests"`
	// Kinds counts them by kind: "file_descriptors", "ephemeral_ports",
	// "socket_buffers", "memory".
	Kinds map[string]int `json:"kinds"`
	// Advice says what to change, one sentence per kind seen.
	Advice []string `json:"advice"`
}

// Client resource kinds (ClientResourceSummary.Kinds), recognised by the
// text of the system error (syscall.Errno's message) in error_detail.
const (
	ClientFileDescriptors = "file_descriptors" // EMFILE, ENFILE
	ClientEphemeralPorts  = "ephemeral_ports"  // EADDRNOTAVAIL
	ClientSocketBuffers   = "socket_buffers"   // ENOBUFS
	ClientMemory          = "memory"           // ENOMEM
)

// clientAdvice is the advice for each kind.
var clientAdvice = map[string]string{
	ClientFileDescriptors: "file descriptors ran out: raise the limit (ulimit -n, or LimitNOFILE for a service), lower the concurrency, or split the load over machines with --shard",
	ClientEphemeralPorts:  "local ports ran out (EADDRNOTAVAIL): lower the concurrency or split the load over machines with --shard (connections in TIME_WAIT hold ports for a minute)",
	ClientSocketBuffers:   "socket buffers ran out (ENOBUFS): lower the concurrency or split the load over machines with --shard",
	ClientMemory:          "memory ran out (ENOMEM): lower the concurrency or split the load over machines with --shard",
}

// ClientResourceKind returns the kind of resource a client_resource
// error_detail names (ClientMemory when it names none it knows).
func ClientResourceKind(detail string) string {
	switch d := strings.ToLower(detail); {
	case strings.Contains(d, "too many open files"):
		return ClientFileDescriptors
	case strings.Contains(d, "cannot assign requested address"), strings.Contains(d, "can't assign requested address"):
		return ClientEphemeralPorts
	case strings.Contains(d, "no buffer space"):
		return ClientSocketBuffers
	default:
		return ClientMemory
	}
}

// SummarizeClientResource sums up the error details of client_resource
// records; nil when there are none.
func SummarizeClientResource(details []string) *ClientResourceSummary {
	if len(details) == 0 {
		return nil
	}
	s := &ClientResourceSummary{Requests: len(details), Kinds: map[string]int{}}
	for _, d := range details {
		s.Kinds[ClientResourceKind(d)]++
	}
	kinds := make([]string, 0, len(s.Kinds))
	for k := range s.Kinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		s.Advice = append(s.Advice, clientAdvice[k])
	}
	return s
}

// Warning says it in one line for Results.Warnings and the console.
func (s *ClientResourceSummary) Warning() string {
	return fmt.Sprintf("%d requests failed on this machine's resources (error class %s), not the platforms': they are left out of every platform figure; %s",
		s.Requests, ErrClientResource, strings.Join(s.Advice, "; "))
}

// ClientResourceAdvice returns the advice for one client_resource
// error_detail.
func ClientResourceAdvice(detail string) string { return clientAdvice[ClientResourceKind(detail)] }
