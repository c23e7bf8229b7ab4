//! YouTube Studio, Advanced mode: Table data, Chart data and Totals, in the UI languages creators use.

use creatoros_ids::Platform;

use super::{col, Field::*, FormatSpec, Identity, Measure, Rows};

// YouTube Studio localises every header and the total row, never the publish dates. Strings per language and
// their sources: FORMATS.md.
const YT_ID: &[&str] = &[
    "content",
    "video",
    "videos",
    "conteúdo",
    "contenido",
    "contenu",
    "コンテンツ",
    "콘텐츠",
    "内容",
    "內容",
    "контент",
    "konten",
    "सामग्री",
];
const YT_TITLE: &[&str] = &[
    "video title",
    "videotitel",
    "título do vídeo",
    "título del vídeo",
    "titre de la vidéo",
    "動画のタイトル",
    "동영상 제목",
    "视频标题",
    "影片標題",
    "название видео",
    "judul video",
    "वीडियो का शीर्षक",
    "वीडियो का टाइटल",
];
const YT_PUBLISHED: &[&str] = &[
    "video publish time",
    "veröffentlichungszeitpunkt des videos",
    "horário de publicação do vídeo",
    "hora de publicación del vídeo",
    "heure de publication de la vidéo",
    "動画公開時刻",
    "동영상 게시 시간",
    "视频发布时间",
    "影片發布時間",
    "время публикации видео",
    "waktu publikasi video",
    "वीडियो पब्लिश होने का समय",
];
const YT_DATE: &[&str] = &[
    "date",
    "datum",
    "data",
    "fecha",
    "日付",
    "날짜",
    "日期",
    "дата",
    "tanggal",
    "तारीख",
];
const YT_VIEWS: &[&str] = &[
    "views",
    "aufrufe",
    "visualizações",
    "visualizaciones",
    "vues",
    "視聴回数",
    "조회수",
    "观看次数",
    "觀看次數",
    "просмотры",
    "penayangan",
    "व्यू",
];
const YT_WATCH_HOURS: &[&str] = &[
    "watch time (hours)",
    "wiedergabezeit (stunden)",
    "tempo de exibição (horas)",
    "tiempo de visualización (horas)",
    "durée de visionnage (heures)",
    "総再生時間(単位: 時間)",
    "시청 시간(단위: 시간)",
    "观看时长(小时)",
    "觀看時間 (小時)",
    "время просмотра (часы)",
    "waktu tonton (jam)",
    "देखे जाने का समय (घंटे)",
];
// Gross gains where exported, else the net `Subscribers` column.
const YT_SUBSCRIBERS: &[&str] = &[
    "subscribers gained",
    "gewonnene abonnenten",
    "inscrições obtidas",
    "suscriptores obtenidos",
    "abonnés obtenus",
    "獲得的訂閱人數",
    "subscriber yang diperoleh",
    "subscribers",
    "abonnenten",
    "inscritos",
    "suscriptores",
    "abonnés",
    "チャンネル登録者",
    "구독자",
    "订阅人数",
    "訂閱人數",
    "подписчики",
    "subscriber",
    "सदस्य",
];
const YT_IMPRESSIONS: &[&str] = &[
    "impressions",
    "thumbnail impressions",
    "impressionen",
    "impressões",
    "impressões de miniaturas",
    "impresiones",
    "impresiones de miniaturas",
    "インプレッション数",
    "노출수",
    "展示次数",
    "曝光次數",
    "показы",
    "tayangan",
    "इंप्रेशन",
];
const YT_CTR: &[&str] = &[
    "impressions click-through rate (%)",
    "thumbnail click-through rate (%)",
    "klickrate der impressionen (%)",
    "taxa de cliques de impressões (%)",
    "taxa de cliques na miniatura (%)",
    "porcentaje de clics de las impresiones (%)",
    "tasa de clics de las miniaturas (%)",
    "taux de clics par impression (%)",
    "インプレッションのクリック率 (%)",
    "노출 클릭률 (%)",
    "展示点击率 (%)",
    "曝光點閱率 (%)",
    "ctr для значков видео (%)",
    "rasio klik-tayang dari tayangan (%)",
    "इंप्रेशन क्लिक-थ्रू रेट (%)",
];
const YT_LIKES: &[&str] = &[
    "likes",
    "marcações \"gostei\"",
    "me gusta",
    "j'aime",
    "高評価数",
    "좋아요 수",
    "喜歡次數",
    "отметки \"нравится\"",
    "suka",
    "पसंद",
];
const YT_SHARES: &[&str] = &[
    "shares",
    "compartilhamentos",
    "veces que se compartió",
    "partages",
    "共有数",
    "공유 수",
    "分享次数",
    "分享次數",
    "поделились",
    "di bagikan",
    "शेयर",
];
const YT_COMMENTS: &[&str] = &[
    "comments added",
    "comentários adicionados",
    "comentarios añadidos",
    "commentaires ajoutés",
    "commentaires",
    "追加されたコメント",
    "추가된 댓글 수",
    "添加的评论",
    "已新增留言",
    "добавленные комментарии",
    "komentar ditambahkan",
    "जोड़ी गई टिप्पणियां",
];
const YT_TOTAL: &[&str] = &[
    "total",
    "gesamt",
    "合計",
    "합계",
    "总计",
    "總計",
    "итоговое значение",
    "कुल",
    "jumlah",
];

/// The columns of a YouTube Studio table: `head` (what says which row it is), then every metric Studio may
/// export, which a Table data, Chart data and Totals file share.
macro_rules! youtube_columns {
    ($($head:expr),* $(,)?) => {
        &[
            $($head,)*
            col(Impressions, YT_IMPRESSIONS),
            col(ClickThroughPercent, YT_CTR),
            col(Views, YT_VIEWS),
            col(WatchTimeHours, YT_WATCH_HOURS),
            col(Likes, YT_LIKES),
            col(Comments, YT_COMMENTS),
            col(Shares, YT_SHARES),
            col(FollowersGained, YT_SUBSCRIBERS),
        ]
    };
}

/// YouTube Studio, Advanced mode, "Table data" (`Table data.csv`, `Tabellendaten.csv`, `Dados da tabela.csv`,
/// …): one row per video, totals over the range chosen in Studio.
pub static YOUTUBE_STUDIO: FormatSpec = FormatSpec {
    name: "youtube-studio",
    description: "YouTube Studio table data export",
    platform: Some(Platform::Youtube),
    columns: youtube_columns![
        col(NativeId, YT_ID),
        col(Title, YT_TITLE),
        col(PublishedAt, YT_PUBLISHED),
    ],
    signature: &[NativeId, Title],
    signature_any: &[PublishedAt, Views, WatchTimeHours, Impressions],
    excludes: &[Date],
    required: &[NativeId],
    identity: Identity::NativeId,
    rows: Rows::Snapshots(Measure::Period),
    summary_rows: YT_TOTAL,
    truncates_at: Some(500),
    day_order: None,
};

/// YouTube Studio, Advanced mode, "Chart data": one row per video per day, one metric.
pub static YOUTUBE_CHART: FormatSpec = FormatSpec {
    name: "youtube-chart",
    description: "YouTube Studio chart data export (per video, per day)",
    platform: Some(Platform::Youtube),
    columns: youtube_columns![
        col(Date, YT_DATE),
        col(NativeId, YT_ID),
        col(Title, YT_TITLE),
        col(PublishedAt, YT_PUBLISHED),
    ],
    signature: &[Date, NativeId, Title],
    signature_any: &[],
    excludes: &[],
    required: &[Date, NativeId],
    identity: Identity::NativeId,
    rows: Rows::Daily,
    summary_rows: YT_TOTAL,
    truncates_at: Some(500),
    day_order: None,
};

/// YouTube Studio, Advanced mode, "Totals": the channel, one row per day.
pub static YOUTUBE_TOTALS: FormatSpec = FormatSpec {
    name: "youtube-totals",
    description: "YouTube Studio totals export (the channel, per day)",
    platform: Some(Platform::Youtube),
    columns: youtube_columns![col(Date, YT_DATE)],
    signature: &[Date],
    signature_any: &[Views, WatchTimeHours, Impressions, FollowersGained],
    excludes: &[NativeId, Title, PostId, Engagements, Saves, Link],
    required: &[Date],
    identity: Identity::Account,
    rows: Rows::Daily,
    summary_rows: YT_TOTAL,
    truncates_at: None,
    day_order: None,
};
