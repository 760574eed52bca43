use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SidebarProps {
    /// `(title, chunk count)` of each article in the knowledge base.
    pub articles: Vec<(String, usize)>,
}

/// The knowledge the persona can draw on.
#[function_component(Sidebar)]
pub fn sidebar(props: &SidebarProps) -> Html {
    html! {
        <aside class="sidebar" aria-label="Knowledge">
            <h2>{ "Articles" }</h2>
            <ul class="articles">
                { for props.articles.iter().map(|(title, chunks)| html! {
                    <li>
                        <span class="article-title">{ title.clone() }</span>
                        <span class="chunk-count">{ format!("{chunks} passages") }</span>
                    </li>
                }) }
            </ul>
            <p class="hint">{ "Ask about anything in these articles. Answers cite the passages they come from." }</p>
        </aside>
    }
}
