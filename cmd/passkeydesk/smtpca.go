package main

import (
	"crypto/x509"
	"fmt"
	"os"
)

// smtpRoots reads the authorities the mail server's certificate must chain
// to from the PEM file path (--smtp-ca), for a relay whose certificate a
// private CA issued; "" means the system's roots (nil).
func smtpRoots(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the mail server's CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the mail server's CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}
