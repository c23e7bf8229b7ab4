//! Exports packaged as creators' tools package them: the rows of a CSV as an `.xlsx` workbook, a file inside a
//! zip. For the container benches, the memory run (`examples/parse_file.rs`) and the property tests.
#![allow(dead_code)] // each user takes what it needs

/// The rows of a plain CSV (no quoted fields) as an `.xlsx` workbook of one sheet: the first three columns as
/// text, the rest as numbers, as a spreadsheet app saves them. Written in constant memory through a temporary
/// file, so a few hundred thousand rows cost little.
pub fn as_workbook(csv: &[u8]) -> Vec<u8> {
    use rust_xlsxwriter::Workbook;
    let dir = std::env::temp_dir().join(format!("creatoros-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bench.xlsx");
    let mut workbook = Workbook::new();
    let sheet = workbook
        .add_worksheet_with_constant_memory()
        .expect("constant-memory sheet");
    sheet.set_name("Sheet1").expect("sheet name");
    for (r, line) in std::str::from_utf8(csv).expect("utf-8").lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            let (row, col) = (r as u32, c as u16);
            match cell.parse::<f64>() {
                Ok(n) if r > 0 && c >= 3 => sheet.write_number(row, col, n),
                _ => sheet.write_string(row, col, cell),
            }
            .expect("cell");
        }
    }
    workbook.save(&path).expect("workbook saved");
    let bytes = std::fs::read(&path).expect("workbook read");
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

/// `bytes` as the one entry `name` of a zip, deflated.
pub fn as_zip(name: &str, bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        name,
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )
    .expect("entry");
    zip.write_all(bytes).expect("entry bytes");
    zip.finish().expect("zip").into_inner()
}
