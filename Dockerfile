# tim-emulator container image.
#
# Build stage: the official Rust image compiles a fully static binary (glibc, crt-static) with the
# `dist` profile (release + thin LTO + one codegen unit; see Cargo.toml), so the final image is
# `scratch` plus that one file: about 10 MB, no shell, no package manager.
# Final stage: non-root (65532), listens on all interfaces through TIM_EMULATOR_LISTEN, exec-form
# ENTRYPOINT so SIGTERM from `docker stop` reaches the emulator, which then saves its state file.
#
#   docker build -t tim-emulator .
#   docker run -p 8269:8269 tim-emulator
#   docker run -p 8269:8269 -v tim-state:/data -e TIM_EMULATOR_STATE_FILE=/data/state.json tim-emulator
#   docker run -p 8269:8269 -p 8270:8270 -v tim-tls:/tls \
#     -e TIM_EMULATOR_HTTPS_LISTEN=0.0.0.0:8270 -e TIM_EMULATOR_TLS_CA_OUT=/tls/ca.pem tim-emulator
#
# HEALTHCHECK --start-interval needs Docker Engine 25 or later (older engines refuse the flag).

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src

# Dependencies first, in their own layer: source edits do not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && target="$(uname -m)-unknown-linux-gnu" \
 && RUSTFLAGS='-C target-feature=+crt-static' cargo build --profile dist --locked --target "$target" \
 && rm -rf src

COPY src ./src
# COPY keeps the context's mtimes, which may be older than the placeholder build: touch so cargo
# rebuilds the crate itself.
RUN touch src/main.rs src/lib.rs \
 && target="$(uname -m)-unknown-linux-gnu" \
 && RUSTFLAGS='-C target-feature=+crt-static' cargo build --profile dist --locked --target "$target" \
 && mkdir -p /out/data /out/tls \
 && cp "target/$target/dist/tim-emulator" /out/tim-emulator \
 && /out/tim-emulator --version

FROM scratch
COPY --from=build /out/tim-emulator /usr/local/bin/tim-emulator
# /data is where a state file goes; owned by the runtime user so a named volume is writable.
COPY --from=build --chown=65532:65532 /out/data /data
# /tls is where --tls-ca-out can write the generated CA certificate, for other containers to
# mount (a named volume there starts with this directory's owner, so it is writable too).
COPY --from=build --chown=65532:65532 /out/tls /tls
USER 65532:65532
ENV TIM_EMULATOR_LISTEN=0.0.0.0:8269
# 8270 is the HTTPS port by convention when TIM_EMULATOR_HTTPS_LISTEN=0.0.0.0:8270 is set.
EXPOSE 8269 8270
# Healthy about a second after the start: during the start period the probe runs every second
# (start-interval), afterwards every 5 s. The probe is the binary itself (no curl in scratch).
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --start-interval=1s --retries=3 \
  CMD ["/usr/local/bin/tim-emulator", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/tim-emulator"]
