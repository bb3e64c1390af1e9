"""``wiretool proxy ca``: the forward-mode CA's path and PEM (made now if it is not there), ``--export FILE``."""

from __future__ import annotations

import click

from wiretool.cli.options import global_options, make_env


@click.command("ca")
@click.option("--export", "export", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Also write the CA certificate (PEM, never the key) to FILE.")
@global_options
def ca(export: str | None) -> int:
    """Print the path and the PEM of the CA that forward mode signs intercepted hosts with.

    Trust this certificate in the client you point at the proxy (curl --cacert, an NSS db, the OS store,
    or Chromium's --ignore-certificate-errors-spki-list with the SPKI hash shown here). It is made on
    first use in $XDG_DATA_HOME/wiretool/ca (else ~/.local/share/wiretool/ca; WIRETOOL_CA_DIR overrides);
    its key stays there, mode 0600.

    \b
    Examples:
      wiretool proxy ca
      wiretool proxy ca --export wiretool-ca.pem
      curl --proxy http://127.0.0.1:8080 --cacert "$(wiretool --json proxy ca | jq -r .path)" https://...
    """
    import json

    from wiretool.errors import UsageError
    from wiretool.proxy.ca import LocalCA, ensure_ca, spki_hash

    env = make_env()
    files = ensure_ca()
    pem = LocalCA(files).cert_pem
    if export:
        try:
            with open(export, "wb") as fh:
                fh.write(pem)
        except OSError as exc:
            raise UsageError(f"cannot write {export}: {exc.strerror or exc}") from None
    spki = spki_hash(pem)
    if env.json:
        record = {"proto": "proxy", "type": "ca", "path": str(files.cert), "created": files.created,
                  "spki_sha256": spki, "pem": pem.decode("ascii")}
        if export:
            record["exported"] = export
        env.stdout.write(json.dumps(record) + "\n")
    else:
        if files.created:
            env.stderr.write(f"wiretool: created the proxy CA in {files.cert.parent}\n")
        env.stdout.write(f"# {files.cert}\n# SPKI sha256 (base64): {spki}\n")
        if export:
            env.stdout.write(f"# exported to {export}\n")
        env.stdout.write(pem.decode("ascii"))
    env.stdout.flush()
    return 0
