//! `bench-server ours|ours-nocache|baseline ADDR`: one actix worker serving the benchmark routes.
use actix_web::HttpServer;
use auth_bench::{baseline_app, ours_app, verifier};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (which, addr) = match args.as_slice() {
        [_, which, addr] => (which.clone(), addr.clone()),
        _ => {
            eprintln!("usage: bench-server ours|ours-nocache|baseline ADDR");
            std::process::exit(2);
        }
    };
    let server = match which.as_str() {
        "ours" => {
            let v = verifier();
            HttpServer::new(move || ours_app(v.clone()))
                .workers(1)
                .bind(&addr)?
                .run()
        }
        "baseline" => HttpServer::new(baseline_app).workers(1).bind(&addr)?.run(),
        other => {
            eprintln!("unknown service {other}");
            std::process::exit(2);
        }
    };
    server.await
}
