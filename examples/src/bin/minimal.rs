//! `cargo run --bin minimal`: the minimal example, `auth_examples::minimal`.

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    auth_examples::minimal::run().await
}
